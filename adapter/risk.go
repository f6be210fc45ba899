package adapter

import (
	"context"
	"fmt"
	"time"
)

// RiskRules tune the checks against fraud. The zero value of each field is
// replaced by the default documented on it.
type RiskRules struct {
	// RecentOwnerChange is how long after an owner change a new sale is
	// flagged to the inspector; 0 means 30 days.
	RecentOwnerChange time.Duration
	// DailyTransfers is how many transfers one seller may start in any 24
	// hours; the next is refused with TooManyTransfers. 0 means 3.
	DailyTransfers int
}

func (r RiskRules) withDefaults() RiskRules {
	if r.RecentOwnerChange <= 0 {
		r.RecentOwnerChange = 30 * 24 * time.Hour
	}
	if r.DailyTransfers <= 0 {
		r.DailyTransfers = 3
	}
	return r
}

// signals derives the risk signals of p from the facts the store gave.
func (s *Service) signals(p PendingInspection) []RiskSignal {
	var out []RiskSignal
	now := s.now()
	if at := p.LastOwnerChange; !at.IsZero() && now.Sub(at) < s.cfg.Risk.RecentOwnerChange {
		out = append(out, RiskSignal{Code: SignalRecentOwnerChange, Text: fmt.Sprintf(
			"The vehicle changed owner on %s, %d days before this sale.",
			at.Format("2006-01-02"), int(now.Sub(at).Hours()/24))})
	}
	if p.ReusedPhotos > 0 {
		out = append(out, RiskSignal{Code: SignalPhotoReused, Text: fmt.Sprintf(
			"%d of the photos were also uploaded for another transfer.", p.ReusedPhotos)})
	}
	if p.ObservedVIN != "" && p.ObservedVIN != p.Transfer.VIN {
		out = append(out, RiskSignal{Code: SignalObservedVIN, Text: fmt.Sprintf(
			"An earlier inspection read VIN %s off the photos; the registry has %s.",
			p.ObservedVIN, p.Transfer.VIN)})
	}
	return out
}

// checkDailyLimit refuses a seller who has started the configured number of
// transfers in the last 24 hours. The store locks the seller while it
// counts, so concurrent initiations of one seller are counted one by one.
func (s *Service) checkDailyLimit(ctx context.Context, tx Tx, seller PIN) error {
	n, err := tx.TransfersStartedBy(ctx, seller, s.now().Add(-24*time.Hour))
	if err != nil {
		return fmt.Errorf("adapter: transfers of %s: %w", seller.Masked(), err)
	}
	if n >= s.cfg.Risk.DailyTransfers {
		return refuse(TooManyTransfers, "%s started %d transfers in 24 hours, limit %d",
			seller.Masked(), n, s.cfg.Risk.DailyTransfers)
	}
	return nil
}
