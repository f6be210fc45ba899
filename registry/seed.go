package registry

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/tunduk/vehicle-adapter/adapter"
)

// Demo names what a demonstration or a test needs to drive a transfer in a
// registry made by SeedDemo.
type Demo struct {
	// Vehicle is free of restrictions and open transfers.
	Vehicle adapter.Vehicle
	// Owner holds Vehicle under CertificateNumber.
	Owner             adapter.Person
	CertificateNumber string
	// Buyer is an adult who is not Owner.
	Buyer adapter.Person
	// Restricted is a vehicle under Restriction, owned by RestrictedOwner.
	Restricted      adapter.Vehicle
	RestrictedOwner adapter.Person
	Restriction     adapter.Restriction
	// BodyOnly is an old vehicle known only by its body number.
	BodyOnly adapter.Vehicle
	// Vehicles and Persons count what the registry holds.
	Vehicles, Persons int
}

// ErrNotEmpty means SeedDemo found vehicles it did not seed.
var ErrNotEmpty = errors.New("registry: database already holds vehicles not seeded by this seed")

// seedLock is the advisory lock key that serialises SeedDemo calls.
const seedLock = 0x7365656444656d6f // "seedDemo"

// SeedDemo fills an empty registry with a demonstration registry derived
// from seed: a few dozen vehicles of makes common in Kyrgyzstan with valid
// VINs (two old ones with only a body number), adult owners with valid
// PINs, plates in the current format, current registrations, some vehicles
// under arrest, pledge or wanted, and persons who own nothing to act as
// buyers. The same seed gives the same registry.
//
// Seeding twice with the same seed adds nothing and returns a Demo that
// fits the registry as it stands now, so a demonstration can run again on
// a database where an earlier one already moved the demo vehicle. A
// registry holding other vehicles is refused with ErrNotEmpty.
func SeedDemo(ctx context.Context, db *DB, seed int64) (Demo, error) {
	plan := planDemo(seed)
	err := db.InTx(ctx, func(atx adapter.Tx) error {
		t := atx.(*tx)
		// Concurrent seeders take turns; the second finds the work done.
		if _, err := t.exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(seedLock)); err != nil {
			return wrap(err, "seed lock")
		}
		seeded, err := t.seeded(ctx, plan)
		if err != nil || seeded {
			return err
		}
		return t.insertPlan(ctx, plan)
	})
	if err != nil {
		return Demo{}, err
	}
	return db.demo(ctx, plan)
}

// seeded reports whether plan is in the registry already, and fails with
// ErrNotEmpty when other vehicles are.
func (t *tx) seeded(ctx context.Context, plan demoPlan) (bool, error) {
	var total, ours int
	err := t.get(ctx, &total, `SELECT count(*) FROM vehicles`)
	if err != nil {
		return false, wrap(err, "count vehicles")
	}
	if total == 0 {
		return false, nil
	}
	// The first vehicles are the old ones without a VIN; the next has one.
	err = t.get(ctx, &ours, `SELECT count(*) FROM vehicles WHERE vin = $1`,
		plan.vehicles[len(oldModels)].VIN)
	if err != nil {
		return false, wrap(err, "find seeded vehicle")
	}
	if ours == 0 {
		return false, fmt.Errorf("%w (%d vehicles)", ErrNotEmpty, total)
	}
	return true, nil
}

// insertPlan writes persons, vehicles, registrations and restrictions.
func (t *tx) insertPlan(ctx context.Context, plan demoPlan) error {
	for _, p := range plan.persons {
		if err := t.ensurePerson(ctx, p); err != nil {
			return err
		}
	}
	for i, v := range plan.vehicles {
		var id int64
		err := t.get(ctx, &id, `INSERT INTO vehicles
				(vin, body_number, plate, make, model, year, color)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
			nullString(v.VIN), nullString(v.BodyNumber), nullString(v.Plate),
			v.Make, v.Model, v.Year, v.Color)
		if err != nil {
			return wrap(err, "seed vehicle %d", i)
		}
		o := plan.owners[i]
		_, err = t.exec(ctx, `INSERT INTO registrations
				(vehicle_id, owner_pin, certificate_number, since)
			VALUES ($1, $2, next_certificate_number(), $3)`,
			id, string(plan.persons[o.person].PIN), o.since)
		if err != nil {
			return wrap(err, "seed registration %d", i)
		}
		if r, ok := plan.restrictions[i]; ok {
			_, err = t.exec(ctx, `INSERT INTO restrictions (vehicle_id, kind, authority, since)
				VALUES ($1, $2, $3, $4)`, id, string(r.Kind), r.Authority, r.Since)
			if err != nil {
				return wrap(err, "seed restriction %d", i)
			}
		}
	}
	return nil
}

// demo picks from the registry as it stands the vehicles and people a
// demonstration needs: the first free vehicle of the plan, the first
// restricted one, the first buyer of the plan who does not own the free
// vehicle.
func (d *DB) demo(ctx context.Context, plan demoPlan) (Demo, error) {
	var demo Demo
	err := d.InTx(ctx, func(atx adapter.Tx) error {
		t := atx.(*tx)
		demo = Demo{}
		for i, pv := range plan.vehicles {
			if pv.VIN == "" {
				if demo.BodyOnly.ID == 0 {
					v, err := t.Vehicle(ctx, adapter.VehicleQuery{BodyNumber: pv.BodyNumber})
					if err != nil {
						return err
					}
					demo.BodyOnly = v
				}
				continue
			}
			v, err := t.Vehicle(ctx, adapter.VehicleQuery{VIN: adapter.VIN(pv.VIN)})
			if err != nil {
				return err
			}
			reg, err := t.CurrentRegistration(ctx, v.ID)
			if err != nil {
				return err
			}
			rs, err := t.ActiveRestrictions(ctx, v.ID)
			if err != nil {
				return err
			}
			_, err = t.OpenTransfer(ctx, v.ID)
			open := err == nil
			if err != nil && !errors.Is(err, adapter.ErrNotFound) {
				return err
			}
			switch {
			case len(rs) > 0 && demo.Restricted.ID == 0:
				demo.Restricted, demo.RestrictedOwner, demo.Restriction = v, reg.Owner, rs[0]
			case len(rs) == 0 && !open && demo.Vehicle.ID == 0 && plan.cleanFrom <= i:
				demo.Vehicle, demo.Owner, demo.CertificateNumber = v, reg.Owner, reg.CertificateNumber
			}
		}
		if demo.Vehicle.ID == 0 || demo.Restricted.ID == 0 || demo.BodyOnly.ID == 0 {
			return errors.New("registry: the seeded registry has no free or no restricted vehicle left")
		}
		for _, p := range plan.persons[plan.buyersFrom:] {
			if p.PIN != demo.Owner.PIN {
				demo.Buyer = p
				break
			}
		}
		if err := t.get(ctx, &demo.Vehicles, `SELECT count(*) FROM vehicles`); err != nil {
			return wrap(err, "count vehicles")
		}
		if err := t.get(ctx, &demo.Persons, `SELECT count(*) FROM persons`); err != nil {
			return wrap(err, "count persons")
		}
		return nil
	})
	return demo, err
}

// demoPlan is the registry SeedDemo writes, computed from the seed alone.
type demoPlan struct {
	persons      []adapter.Person // owners first, then buyersFrom.. own nothing
	buyersFrom   int
	vehicles     []adapter.Vehicle
	owners       []demoOwner                 // per vehicle
	restrictions map[int]adapter.Restriction // by vehicle index
	cleanFrom    int                         // first vehicle index a Demo may pick
}

type demoOwner struct {
	person int
	since  time.Time
}

// Sizes of the demo registry.
const (
	demoVehicles = 36
	demoOwners   = 28
	demoBuyers   = 8
)

// planDemo derives the whole demo registry from seed. Dates are fixed
// relative to 2025, not to the clock, so the plan never changes; every
// birth date makes an adult.
func planDemo(seed int64) demoPlan {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x6b67))
	plan := demoPlan{restrictions: map[int]adapter.Restriction{}}

	for i := range demoOwners + demoBuyers {
		plan.persons = append(plan.persons, demoPerson(rng, i))
	}
	plan.buyersFrom = demoOwners

	plates := map[string]bool{}
	base := time.Date(2010, 1, 1, 9, 0, 0, 0, time.UTC)
	for i := range demoVehicles {
		m := demoModels[rng.IntN(len(demoModels))]
		var v adapter.Vehicle
		if i < 2 {
			// Two old vehicles registered before VINs: known by body number.
			m = oldModels[i]
			v = adapter.Vehicle{BodyNumber: fmt.Sprintf("%s-%07d", m.body, rng.IntN(10_000_000))}
			v.Year = m.from + rng.IntN(m.to-m.from+1)
		} else {
			v.Year = m.from + rng.IntN(m.to-m.from+1)
			v.VIN = demoVIN(rng, m, v.Year, i)
		}
		v.Make, v.Model = m.make, m.model
		v.Color = colors[rng.IntN(len(colors))]
		v.Plate = demoPlate(rng, plates)
		plan.vehicles = append(plan.vehicles, v)

		// Owners take vehicles in turn, so some own two.
		since := base.AddDate(0, 0, rng.IntN(12*365))
		plan.owners = append(plan.owners, demoOwner{person: i % demoOwners, since: since})
	}

	// Restrictions on a few vehicles after the old ones; the demo picks its
	// free vehicle after them, so the first restricted one is stable.
	kinds := []adapter.RestrictionKind{
		adapter.Arrest, adapter.Pledge, adapter.Wanted, adapter.Arrest, adapter.Pledge,
		adapter.Pledge, adapter.Wanted,
	}
	for j, k := range kinds {
		i := 2 + j*5
		plan.restrictions[i] = adapter.Restriction{
			Kind:      k,
			Authority: authorities[k][rng.IntN(len(authorities[k]))],
			Since:     plan.owners[i].since.AddDate(0, 1+rng.IntN(24), 0),
		}
	}
	plan.cleanFrom = 3
	return plan
}

// demoPerson makes the i-th synthetic person: PIN digit 1 for women, 2 for
// men, born between 1955 and 1999, with a serial that keeps PINs unique.
func demoPerson(rng *rand.Rand, i int) adapter.Person {
	male := rng.IntN(2) == 0
	born := time.Date(1955+rng.IntN(45), time.Month(1+rng.IntN(12)), 1+rng.IntN(28),
		0, 0, 0, 0, time.UTC)
	sex, first, last := "1", femaleNames, surnames
	if male {
		sex, first = "2", maleNames
	}
	name := last[rng.IntN(len(last))]
	if !male {
		name += "а"
	}
	name += " " + first[rng.IntN(len(first))]
	pin := fmt.Sprintf("%s%s%03d%02d", sex, born.Format("02012006"), i, rng.IntN(100))
	return adapter.Person{PIN: adapter.PIN(pin), Name: name}
}

// demoVIN builds a 17-character VIN: the model's world manufacturer
// identifier and descriptor, the check digit, the model-year code, a plant
// code and a serial that includes i, so VINs of one plan never collide.
func demoVIN(rng *rand.Rand, m demoModel, year, i int) string {
	// Plant code B is SeedBulk's.
	const plants = "ACDEFGHJKLMNPRSTUVWXYZ0123456789"
	plant := plants[rng.IntN(len(plants))]
	serial := fmt.Sprintf("%02d%04d", i, rng.IntN(10_000))
	v := []byte(m.wmi + m.vds + "0" + string(yearCode(year)) + string(plant) + serial)
	v[8] = adapter.VINCheckDigit(string(v))
	return string(v)
}

// yearCode is the model-year character of position 10, a 30-year cycle.
func yearCode(year int) byte {
	const codes = "ABCDEFGHJKLMNPRSTVWXY123456789"
	return codes[(year-1980)%30]
}

// demoPlate draws a plate in the individual format, region 01 to 09, with
// letters that read the same in Latin and Cyrillic, unused so far.
func demoPlate(rng *rand.Rand, used map[string]bool) string {
	const letters = "ABCEHKMOPTXY"
	for {
		p := fmt.Sprintf("%02d %03d %c%c%c", 1+rng.IntN(9), rng.IntN(1000),
			letters[rng.IntN(len(letters))], letters[rng.IntN(len(letters))],
			letters[rng.IntN(len(letters))])
		if !used[p] {
			used[p] = true
			return p
		}
	}
}

// demoModel is a model with the VIN parts of its maker and its years.
type demoModel struct {
	make, model string
	wmi, vds    string // 3 and 5 characters
	from, to    int
	body        string // body number prefix, for old models
}

var demoModels = []demoModel{
	{make: "Toyota", model: "Camry", wmi: "JTN", vds: "BF3EK", from: 2012, to: 2021},
	{make: "Toyota", model: "Camry", wmi: "4T1", vds: "B11HK", from: 2008, to: 2017},
	{make: "Toyota", model: "Land Cruiser Prado", wmi: "JTE", vds: "BU3FJ", from: 2010, to: 2022},
	{make: "Toyota", model: "RAV4", wmi: "JTM", vds: "RFREV", from: 2013, to: 2023},
	{make: "Toyota", model: "Corolla", wmi: "JTD", vds: "BR32E", from: 2007, to: 2019},
	{make: "Lexus", model: "RX 350", wmi: "JTJ", vds: "BK1BA", from: 2009, to: 2020},
	{make: "Honda", model: "Fit", wmi: "JHM", vds: "GE8H3", from: 2008, to: 2014},
	{make: "Honda", model: "Odyssey", wmi: "JHM", vds: "RB1H5", from: 2004, to: 2010},
	{make: "Honda", model: "CR-V", wmi: "JHL", vds: "RE485", from: 2007, to: 2016},
	{make: "Mercedes-Benz", model: "E 320", wmi: "WDB", vds: "21006", from: 1997, to: 2002},
	{make: "Mercedes-Benz", model: "Sprinter", wmi: "WDB", vds: "90663", from: 2006, to: 2018},
	{make: "Audi", model: "A6", wmi: "WAU", vds: "ZZZ4B", from: 1998, to: 2004},
	{make: "Volkswagen", model: "Passat", wmi: "WVW", vds: "ZZZ3C", from: 2006, to: 2014},
	{make: "Volkswagen", model: "Golf", wmi: "WVW", vds: "ZZZ1J", from: 1998, to: 2005},
	{make: "Subaru", model: "Outback", wmi: "JF1", vds: "BR9LA", from: 2010, to: 2014},
	{make: "Subaru", model: "Forester", wmi: "JF1", vds: "SH5LS", from: 2008, to: 2013},
	{make: "Hyundai", model: "Sonata", wmi: "KMH", vds: "E341D", from: 2015, to: 2019},
	{make: "Hyundai", model: "Tucson", wmi: "KMH", vds: "J3815", from: 2016, to: 2021},
	{make: "Kia", model: "K5", wmi: "KNA", vds: "G4127", from: 2020, to: 2023},
	{make: "Kia", model: "Sportage", wmi: "KNA", vds: "PC81A", from: 2016, to: 2021},
	{make: "Chevrolet", model: "Cobalt", wmi: "XWB", vds: "JA69V", from: 2013, to: 2022},
	{make: "Daewoo", model: "Matiz", wmi: "XWB", vds: "4A11B", from: 2004, to: 2014},
	{make: "Lada", model: "Niva 4x4", wmi: "XTA", vds: "21214", from: 2010, to: 2020},
	{make: "Mitsubishi", model: "Pajero", wmi: "JMB", vds: "LYV97", from: 2007, to: 2015},
	{make: "Nissan", model: "X-Trail", wmi: "JN1", vds: "TANT3", from: 2008, to: 2014},
	{make: "Mazda", model: "6", wmi: "JMZ", vds: "GJ14F", from: 2013, to: 2019},
	{make: "BYD", model: "Song Plus", wmi: "LGX", vds: "CE4CB", from: 2021, to: 2024},
	{make: "Zeekr", model: "001", wmi: "L6T", vds: "79T2E", from: 2022, to: 2024},
}

var oldModels = []demoModel{
	{make: "VAZ", model: "2107", body: "2107", from: 1983, to: 1989},
	{make: "GAZ", model: "24 Volga", body: "24", from: 1976, to: 1985},
}

var colors = []string{
	"white", "black", "silver", "grey", "dark blue", "red", "beige", "green", "pearl white",
}

var maleNames = []string{
	"Бакыт", "Азамат", "Нурлан", "Эрлан", "Тилек", "Улан", "Айбек", "Марат", "Жоомарт", "Канат",
}

var femaleNames = []string{
	"Айгүл", "Гүлнара", "Жылдыз", "Нургүл", "Айпери", "Бермет", "Асель", "Чолпон", "Динара",
	"Мээрим",
}

var surnames = []string{
	"Асанов", "Токтогулов", "Садыков", "Жумабеков", "Осмонов", "Мамытов", "Абдыкадыров",
	"Исаков", "Турдубаев", "Керимбеков",
}

var authorities = map[adapter.RestrictionKind][]string{
	adapter.Arrest: {
		"Leninsky District Court of Bishkek",
		"Osh City Court",
		"Bailiff service of Chui region",
	},
	adapter.Pledge: {
		"Pledge register: demo bank 10000001",
		"Pledge register: demo microcredit company 10000002",
	},
	adapter.Wanted: {
		"MVD KR: stolen vehicles database",
	},
}
