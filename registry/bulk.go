package registry

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/tunduk/vehicle-adapter/adapter"
)

// MaxBulk bounds SeedBulk: the plate space of the scheme it uses (nine
// regions, a thousand numbers, 12^3 letter triples) holds 15.5 million.
const MaxBulk = 15_000_000

// SeedBulk adds n synthetic vehicles, each with an owner of its own and a
// current registration, through COPY, for measuring the registry at
// national scale (200 000 took 37 s on a busy two-core machine). Values
// derive from seed and the position, so they are deterministic and unique:
// VINs carry a plant code 'B' and plates letters that SeedDemo never uses,
// so the two may share a database.
// Seeding twice collides and fails. It ANALYZEs the tables
// afterwards so the planner sees their real size.
func SeedBulk(ctx context.Context, db *DB, n int, seed int64) error {
	if n <= 0 || n > MaxBulk {
		return fmt.Errorf("registry: bulk seed of %d vehicles, want 1 to %d", n, MaxBulk)
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 0x62756c6b))
	sx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("registry: bulk seed: %w", err)
	}
	defer sx.Rollback()

	// Rows go to a staging table first, then into the real ones in one
	// INSERT ... SELECT each, so identity ids and certificate numbers come
	// from the database as they do for every other row.
	_, err = sx.ExecContext(ctx, `CREATE TEMPORARY TABLE bulk_stage (
		pin text, name text, birth_date date, vin text, plate text, make text,
		model text, year integer, color text, since timestamptz) ON COMMIT DROP`)
	if err != nil {
		return fmt.Errorf("registry: bulk seed: %w", err)
	}
	if err := copyStage(ctx, sx, rng, n); err != nil {
		return err
	}
	for _, stmt := range []string{
		`INSERT INTO persons (pin, name, birth_date) SELECT pin, name, birth_date FROM bulk_stage`,
		`INSERT INTO vehicles (vin, plate, make, model, year, color)
			SELECT vin, plate, make, model, year, color FROM bulk_stage`,
		`INSERT INTO registrations (vehicle_id, owner_pin, certificate_number, since)
			SELECT v.id, s.pin, next_certificate_number(), s.since
			FROM bulk_stage s JOIN vehicles v ON v.vin = s.vin`,
	} {
		if _, err := sx.ExecContext(ctx, stmt); err != nil {
			return wrap(err, "bulk seed")
		}
	}
	if err := sx.Commit(); err != nil {
		return fmt.Errorf("registry: bulk seed: commit: %w", err)
	}
	if _, err := db.db.ExecContext(ctx, `ANALYZE persons, vehicles, registrations`); err != nil {
		return fmt.Errorf("registry: bulk seed: analyze: %w", err)
	}
	return nil
}

// bulkPlateLetters are the plate letters of SeedBulk, none of them among
// SeedDemo's.
const bulkPlateLetters = "DFGJLNRSUVWZ"

// copyStage streams n rows into bulk_stage with COPY FROM STDIN.
func copyStage(ctx context.Context, sx *sql.Tx, rng *rand.Rand, n int) error {
	stmt, err := sx.PrepareContext(ctx, `COPY bulk_stage
		(pin, name, birth_date, vin, plate, make, model, year, color, since) FROM STDIN`)
	if err != nil {
		return fmt.Errorf("registry: bulk seed: copy: %w", err)
	}
	defer stmt.Close()

	base := time.Date(2005, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		p, v := bulkPerson(i), bulkVehicle(rng, i)
		since := base.Add(time.Duration(rng.Int64N(int64(18 * 365 * 24 * time.Hour))))
		_, err := stmt.ExecContext(ctx, string(p.PIN), p.Name, p.PIN.Birth().Format(time.DateOnly),
			v.VIN, v.Plate, v.Make, v.Model, v.Year, v.Color, since)
		if err != nil {
			return fmt.Errorf("registry: bulk seed: copy row %d: %w", i, err)
		}
	}
	if _, err := stmt.ExecContext(ctx); err != nil {
		return fmt.Errorf("registry: bulk seed: copy: %w", err)
	}
	return nil
}

// bulkPerson is the i-th bulk owner: the birth date walks back a day for
// every 100 000 serials from 1 January 1990, so PINs are unique.
func bulkPerson(k int) adapter.Person {
	born := time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -(k / 100_000))
	pin := fmt.Sprintf("%d%s%05d", 1+k%2, born.Format("02012006"), k%100_000)
	return adapter.Person{PIN: adapter.PIN(pin), Name: fmt.Sprintf("Bulk owner %d", k)}
}

// bulkVehicle is the k-th bulk vehicle. Its VIN holds k in the serial and
// the plant code 'B'; its plate enumerates region, number and letters.
func bulkVehicle(rng *rand.Rand, k int) adapter.Vehicle {
	m := demoModels[rng.IntN(len(demoModels))]
	year := m.from + rng.IntN(m.to-m.from+1)
	v := []byte(fmt.Sprintf("%s%s0%cB%06d", m.wmi, m.vds, yearCode(year), k%1_000_000))
	// Positions 10 and 11 are fixed, so spill the millions into the VDS.
	if k >= 1_000_000 {
		copy(v[3:5], fmt.Sprintf("%02d", k/1_000_000%100))
	}
	v[8] = adapter.VINCheckDigit(string(v))

	const letters = bulkPlateLetters
	region, rest := 1+k%9, k/9
	l := rest / 1000
	plate := fmt.Sprintf("%02d %03d %c%c%c", region, rest%1000, letters[l%12],
		letters[l/12%12], letters[l/144%12])
	return adapter.Vehicle{
		VIN: string(v), Plate: plate, Make: m.make, Model: m.model, Year: year,
		Color: colors[rng.IntN(len(colors))],
	}
}
