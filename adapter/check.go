package adapter

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// VehicleReport is what anyone on a configured channel may learn about a
// vehicle before buying it: no owner PIN or full name.
type VehicleReport struct {
	Vehicle      Vehicle
	OwnerMasked  string // the owner's name reduced to initials
	Restrictions []RestrictionKind
	OpenTransfer bool
}

// ParseVehicleQuery builds a query from whichever of vin, plate or body
// number the caller gave; exactly one must be set.
func ParseVehicleQuery(vin, plate, body string) (VehicleQuery, error) {
	vin, plate, body = strings.TrimSpace(vin), strings.TrimSpace(plate), strings.TrimSpace(body)
	set := 0
	for _, v := range []string{vin, plate, body} {
		if v != "" {
			set++
		}
	}
	if set != 1 {
		return VehicleQuery{}, refuse(InvalidRequest, "give exactly one of vin, plate, bodyNumber")
	}
	switch {
	case vin != "":
		v, err := ParseVIN(vin)
		return VehicleQuery{VIN: v}, err
	case plate != "":
		p, err := ParsePlate(plate)
		return VehicleQuery{Plate: p}, err
	}
	b, err := ParseBodyNumber(body)
	return VehicleQuery{BodyNumber: b}, err
}

// bodyNumberRE is a body or chassis number once normalised: letters,
// digits and inner dashes, as stamped on old vehicles ("2107-1234567").
var bodyNumberRE = regexp.MustCompile(`^[A-Z0-9]+(-[A-Z0-9]+)*$`)

// ParseBodyNumber normalises a body or chassis number (case, spaces,
// Cyrillic look-alikes) and checks it: 4 to 30 letters and digits, with
// dashes between groups. It returns an *Error with code InvalidBodyNumber
// otherwise.
func ParseBodyNumber(s string) (string, error) {
	b := lookalikes.Replace(strings.ToUpper(strings.Join(strings.Fields(s), "")))
	if len(b) < 4 || len(b) > 30 || !bodyNumberRE.MatchString(b) {
		return "", refuse(InvalidBodyNumber, "%q is not a body or chassis number", s)
	}
	return b, nil
}

// CheckVehicle reports on the vehicle q names.
func (s *Service) CheckVehicle(ctx context.Context, c Caller, q VehicleQuery) (VehicleReport, error) {
	var r VehicleReport
	err := s.store.InTx(ctx, func(tx Tx) error {
		v, err := tx.Vehicle(ctx, q)
		if errors.Is(err, ErrConflict) {
			return refuse(VehicleAmbiguous, "vehicle %+v: %v", q, err)
		}
		if err != nil {
			return notFound(err, VehicleNotFound, "vehicle %+v", q)
		}
		reg, err := tx.CurrentRegistration(ctx, v.ID)
		if err != nil {
			return notFound(err, VehicleNotFound, "registration of vehicle %d", v.ID)
		}
		rs, err := tx.ActiveRestrictions(ctx, v.ID)
		if err != nil {
			return fmt.Errorf("adapter: restrictions of vehicle %d: %w", v.ID, err)
		}
		_, err = tx.OpenTransfer(ctx, v.ID)
		if err != nil && !isNotFound(err) {
			return fmt.Errorf("adapter: open transfer of vehicle %d: %w", v.ID, err)
		}
		r = VehicleReport{Vehicle: v, OwnerMasked: maskName(reg.Owner.Name), OpenTransfer: err == nil}
		for _, x := range rs {
			r.Restrictions = append(r.Restrictions, x.Kind)
		}
		return nil
	})
	return r, err
}

// maskName keeps the first letter of each part of a name: "Асанов Бакыт"
// becomes "А. Б.".
func maskName(name string) string {
	var parts []string
	for _, f := range strings.Fields(name) {
		parts = append(parts, string([]rune(f)[:1])+".")
	}
	return strings.Join(parts, " ")
}

// Certificate is a registration certificate as its holder sees it.
type Certificate struct {
	Registration Registration
	Vehicle      Vehicle
}

// RegistrationCertificate returns the current certificate of the vehicle
// with vin to its owner, and NotOwner to anyone else.
func (s *Service) RegistrationCertificate(ctx context.Context, c Caller, vin string) (Certificate, error) {
	pin, err := s.citizen(c)
	if err != nil {
		return Certificate{}, err
	}
	v, err := ParseVIN(vin)
	if err != nil {
		return Certificate{}, err
	}
	var cert Certificate
	err = s.store.InTx(ctx, func(tx Tx) error {
		veh, err := tx.Vehicle(ctx, VehicleQuery{VIN: v})
		if err != nil {
			return notFound(err, VehicleNotFound, "vehicle %s", v)
		}
		reg, err := tx.CurrentRegistration(ctx, veh.ID)
		if err != nil {
			return notFound(err, NoCertificate, "registration of vehicle %s", v)
		}
		if reg.Owner.PIN != pin {
			return refuse(NotOwner, "%s asked for the certificate of %s", pin.Masked(), v)
		}
		cert = Certificate{Registration: reg, Vehicle: veh}
		return nil
	})
	return cert, err
}
