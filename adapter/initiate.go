package adapter

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// InitiateRequest is a seller's offer to sell a vehicle to a named buyer.
type InitiateRequest struct {
	VIN               string
	CertificateNumber string
	SellerPIN         string
	BuyerPIN          string
	Price             string // decimal som, "350000.00"
	SellerAccount     Account
}

var (
	bankCodeRE = regexp.MustCompile(`^[A-Z0-9]{2,16}$`)
	accountRE  = regexp.MustCompile(`^[0-9]{16}$`)
)

// initiation is a validated InitiateRequest.
type initiation struct {
	vin     VIN
	cert    string
	seller  PIN
	buyer   PIN
	price   Money
	account Account
}

// validate checks everything that needs no registry: formats, ages, that
// the caller is the seller and that seller and buyer differ.
func (s *Service) validate(c Caller, r InitiateRequest) (initiation, error) {
	now := s.now()
	caller, err := s.citizen(c)
	if err != nil {
		return initiation{}, err
	}
	in := initiation{cert: strings.TrimSpace(r.CertificateNumber)}
	if in.vin, err = ParseVIN(r.VIN); err != nil {
		return initiation{}, err
	}
	if in.seller, err = ParsePIN(r.SellerPIN, now); err != nil {
		return initiation{}, err
	}
	if in.buyer, err = ParsePIN(r.BuyerPIN, now); err != nil {
		return initiation{}, err
	}
	if in.seller != caller {
		return initiation{}, refuse(NotOwner, "caller %s is not seller %s",
			caller.Masked(), in.seller.Masked())
	}
	if in.seller == in.buyer {
		return initiation{}, refuse(SameParty, "seller and buyer are both %s", in.seller.Masked())
	}
	if !in.seller.Adult(now) || !in.buyer.Adult(now) {
		return initiation{}, refuse(PartyUnderage, "a party is under %d", AdultAge)
	}
	if in.price, err = ParseMoney(strings.TrimSpace(r.Price)); err != nil || in.price <= 0 {
		return initiation{}, refuse(InvalidPrice, "price %q", r.Price)
	}
	in.account = Account{
		BankCode: strings.ToUpper(strings.TrimSpace(r.SellerAccount.BankCode)),
		Number:   strings.TrimSpace(r.SellerAccount.Number),
	}
	if !bankCodeRE.MatchString(in.account.BankCode) || !accountRE.MatchString(in.account.Number) {
		return initiation{}, refuse(InvalidAccount, "account %s at %q",
			Mask(in.account.Number), in.account.BankCode)
	}
	return in, nil
}

// InitiateTransfer opens a transfer of a vehicle from its owner, who must be
// the caller, to a buyer. It refuses a vehicle not registered to the seller,
// a certificate number that does not match, a restricted vehicle and a
// vehicle that already has an open transfer.
func (s *Service) InitiateTransfer(ctx context.Context, c Caller, r InitiateRequest) (Transfer, error) {
	in, err := s.validate(c, r)
	if err != nil {
		return Transfer{}, err
	}
	var t Transfer
	err = s.store.InTx(ctx, func(tx Tx) error {
		v, err := tx.Vehicle(ctx, VehicleQuery{VIN: in.vin})
		if err != nil {
			return notFound(err, VehicleNotFound, "vehicle %s", in.vin)
		}
		// The vehicle row lock serialises every attempt to sell this
		// vehicle, so the checks below cannot race with another initiation.
		if _, err := tx.LockVehicle(ctx, v.ID); err != nil {
			return fmt.Errorf("adapter: lock vehicle %d: %w", v.ID, err)
		}
		if err := s.checkSellable(ctx, tx, v, in); err != nil {
			return err
		}
		if err := s.checkDailyLimit(ctx, tx, in.seller); err != nil {
			return err
		}
		if _, err := tx.Person(ctx, in.buyer); err != nil {
			return notFound(err, PersonNotFound, "buyer %s", in.buyer.Masked())
		}

		now := s.now()
		t = Transfer{
			ID: s.NewID(), VehicleID: v.ID, VIN: v.VIN, Plate: v.Plate,
			SellerPIN: in.seller, BuyerPIN: in.buyer, Price: in.price,
			SellerAccount: in.account, State: AwaitingBuyer,
			Deadline: s.deadline(AwaitingBuyer), CreatedAt: now, UpdatedAt: now,
		}
		if err := tx.CreateTransfer(ctx, t); errors.Is(err, ErrConflict) {
			return refuse(TransferExists, "vehicle %s", in.vin)
		} else if err != nil {
			return fmt.Errorf("adapter: create transfer: %w", err)
		}
		if err := tx.AddEvent(ctx, s.event(c, t, "", "initiated")); err != nil {
			return fmt.Errorf("adapter: record event of %s: %w", t.ID, err)
		}
		return nil
	})
	return t, err
}

// checkSellable refuses a vehicle that the seller may not sell now.
func (s *Service) checkSellable(ctx context.Context, tx Tx, v Vehicle, in initiation) error {
	reg, err := tx.CurrentRegistration(ctx, v.ID)
	if err != nil {
		return notFound(err, VehicleNotFound, "registration of vehicle %d", v.ID)
	}
	if reg.Owner.PIN != in.seller {
		return refuse(NotOwner, "%s does not own %s", in.seller.Masked(), in.vin)
	}
	if !strings.EqualFold(reg.CertificateNumber, in.cert) {
		return refuse(CertificateMismatch, "certificate %q for %s", in.cert, in.vin)
	}
	if err := checkRestrictions(ctx, tx, v.ID); err != nil {
		return err
	}
	if _, err := tx.OpenTransfer(ctx, v.ID); err == nil {
		return refuse(TransferExists, "vehicle %s", in.vin)
	} else if !isNotFound(err) {
		return fmt.Errorf("adapter: open transfer of vehicle %d: %w", v.ID, err)
	}
	return nil
}

// checkRestrictions refuses a vehicle that has a restriction in force.
func checkRestrictions(ctx context.Context, tx Tx, vehicleID int64) error {
	rs, err := tx.ActiveRestrictions(ctx, vehicleID)
	if err != nil {
		return fmt.Errorf("adapter: restrictions of vehicle %d: %w", vehicleID, err)
	}
	if len(rs) > 0 {
		return refuse(VehicleRestricted, "vehicle %d: %s", vehicleID, rs[0].Kind)
	}
	return nil
}
