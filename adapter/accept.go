package adapter

import (
	"context"
	"fmt"
	"strings"
)

// AcceptTransfer records the buyer's consent and the bank the buyer will
// pay through.
func (s *Service) AcceptTransfer(ctx context.Context, c Caller, id, bankCode string) (Transfer, error) {
	pin, err := s.citizen(c)
	if err != nil {
		return Transfer{}, err
	}
	bankCode = strings.ToUpper(strings.TrimSpace(bankCode))
	if _, ok := s.banks.Bank(bankCode); !ok {
		return Transfer{}, refuse(UnknownBank, "bank %q", bankCode)
	}
	var t Transfer
	err = s.store.InTx(ctx, func(tx Tx) error {
		if t, err = loadTransfer(ctx, tx, id, true); err != nil {
			return err
		}
		if pin != t.BuyerPIN {
			return refuse(NotBuyer, "%s is not the buyer of %s", pin.Masked(), t.ID)
		}
		if t.State != AwaitingBuyer {
			return refuse(InvalidState, "accept %s in %s", t.ID, t.State)
		}
		t.BuyerBankCode = bankCode
		return s.move(ctx, tx, c, &t, AwaitingPhotos, "accepted; pays through "+bankCode)
	})
	return t, err
}

// CancelTransfer ends a transfer at the request of the seller or the buyer,
// as long as the buyer has not paid. A payment order already placed is
// marked cancelled.
func (s *Service) CancelTransfer(ctx context.Context, c Caller, id, reason string) (Transfer, error) {
	pin, err := s.citizen(c)
	if err != nil {
		return Transfer{}, err
	}
	var t Transfer
	err = s.store.InTx(ctx, func(tx Tx) error {
		if t, err = loadTransfer(ctx, tx, id, true); err != nil {
			return err
		}
		if !t.Party(pin) {
			return refuse(NotParty, "%s is not a party to %s", pin.Masked(), t.ID)
		}
		if !t.State.Open() {
			return refuse(InvalidState, "cancel %s in %s", t.ID, t.State)
		}
		if t.State == AwaitingPayment {
			if err := s.cancelOrder(ctx, tx, t.ID); err != nil {
				return err
			}
		}
		return s.move(ctx, tx, c, &t, Cancelled, truncate(reason, 500))
	})
	if err == nil {
		s.afterCommit(ctx, s.Wake)
	}
	return t, err
}

// cancelOrder withdraws the transfer's unpaid order: it is marked
// cancelled and its cancellation at the bank is queued in the outbox, so the
// buyer cannot pay for a transfer that ended. A paid order means the
// transfer is already past cancelling. A transfer sweeper that expires
// transfers awaiting payment calls it too.
func (s *Service) cancelOrder(ctx context.Context, tx Tx, transferID string) error {
	o, err := tx.PaymentOrderOf(ctx, transferID)
	if isNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("adapter: order of %s: %w", transferID, err)
	}
	if o, err = tx.PaymentOrder(ctx, o.ID, true); err != nil {
		return fmt.Errorf("adapter: lock order %s: %w", o.ID, err)
	}
	switch o.Status {
	case OrderPaid, OrderRefunded:
		return refuse(InvalidState, "order %s of %s is %s", o.ID, transferID, o.Status)
	case OrderCancelled:
		return nil
	}
	o.Status = OrderCancelled
	o.owe(CallCancel, s.now(), s.cfg.Payments.Lease)
	if err := tx.UpdatePaymentOrder(ctx, o); err != nil {
		return fmt.Errorf("adapter: cancel order %s: %w", o.ID, err)
	}
	return nil
}

// TransferStatus is a transfer with its payment order and history.
type TransferStatus struct {
	Transfer Transfer
	Order    *PaymentOrder
	Events   []Event
}

// TransferStatus returns a transfer to its parties, to the inspection
// subsystem, and to the bank that holds its payment order.
func (s *Service) TransferStatus(ctx context.Context, c Caller, id string) (TransferStatus, error) {
	var st TransferStatus
	err := s.store.InTx(ctx, func(tx Tx) error {
		t, err := loadTransfer(ctx, tx, id, false)
		if err != nil {
			return err
		}
		st.Transfer = t
		if o, err := tx.PaymentOrderOf(ctx, id); err == nil {
			st.Order = &o
		} else if !isNotFound(err) {
			return fmt.Errorf("adapter: order of %s: %w", id, err)
		}
		if err := s.mayRead(c, st); err != nil {
			return err
		}
		if st.Events, err = tx.Events(ctx, id); err != nil {
			return fmt.Errorf("adapter: events of %s: %w", id, err)
		}
		return nil
	})
	return st, err
}

// mayRead refuses a caller that has no part in the transfer.
func (s *Service) mayRead(c Caller, st TransferStatus) error {
	switch c.Role {
	case RoleInspector:
		return nil
	case RoleBank:
		if st.Order != nil && st.Order.BankCode == c.BankCode {
			return nil
		}
		return refuse(NotParty, "bank %q does not hold the order of %s", c.BankCode, st.Transfer.ID)
	}
	pin, err := s.citizen(c)
	if err != nil {
		return err
	}
	if !st.Transfer.Party(pin) {
		return refuse(NotParty, "%s is not a party to %s", pin.Masked(), st.Transfer.ID)
	}
	return nil
}

func truncate(s string, n int) string {
	r := []rune(strings.TrimSpace(s))
	if len(r) > n {
		r = r[:n]
	}
	return string(r)
}
