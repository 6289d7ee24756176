package survey

import (
	"math"
	"testing"
)

func worker(aw, part, overall string) Response {
	a := Answers{}
	for k, v := range map[string]string{"awareness": aw, "participated": part, "sat_overall": overall, "sat_wages": overall} {
		if v != "" {
			a[k] = v
		}
	}
	return Response{Kind: RespondentWorker, Answers: a}
}

func manager(b, s string) Response {
	a := Answers{}
	if b != "" {
		a["rec_bargaining"] = b
	}
	if s != "" {
		a["rec_service"] = s
	}
	return Response{Kind: RespondentManager, Answers: a}
}

func TestComputeRates(t *testing.T) {
	tests := []struct {
		name                 string
		in                   []Response
		aware, part, sat, rc Rate
		workers, managers    int
	}{
		{name: "empty"},
		{
			name:  "workers",
			in:    []Response{worker("very", "yes", "5"), worker("heard", "no", "4"), worker("no", "no", "3"), worker("know", "", "")},
			aware: Rate{3, 4}, part: Rate{1, 3}, sat: Rate{2, 3}, workers: 4,
		},
		{
			name:     "managers",
			in:       []Response{manager("5", "3"), manager("4", ""), manager("2", "1")},
			rc:       Rate{2, 5},
			managers: 3,
		},
		{
			name:  "mixed",
			in:    []Response{worker("no", "yes", "1"), manager("5", "5")},
			aware: Rate{0, 1}, part: Rate{1, 1}, sat: Rate{0, 1}, rc: Rate{2, 2}, workers: 1, managers: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ComputeRates(tt.in)
			if got.Responses != len(tt.in) || got.Workers != tt.workers || got.Managers != tt.managers {
				t.Errorf("counts = %d/%d/%d, want %d/%d/%d", got.Responses, got.Workers, got.Managers, len(tt.in), tt.workers, tt.managers)
			}
			for _, c := range []struct {
				name      string
				got, want Rate
			}{{"awareness", got.Awareness, tt.aware}, {"participation", got.Participation, tt.part}, {"satisfaction", got.Satisfaction, tt.sat}, {"recognition", got.Recognition, tt.rc}} {
				if c.got != c.want {
					t.Errorf("%s = %+v, want %+v", c.name, c.got, c.want)
				}
			}
			if got, want := got.SatisfactionItems["sat_wages"], tt.sat; got != want {
				t.Errorf("sat_wages = %+v, want %+v", got, want)
			}
		})
	}
}

func TestRatePercent(t *testing.T) {
	tests := []struct {
		r    Rate
		want float64
	}{{Rate{0, 0}, 0}, {Rate{1, 3}, 33.333}, {Rate{4, 4}, 100}}
	for _, tt := range tests {
		if got := tt.r.Percent(); math.Abs(got-tt.want) > 0.01 {
			t.Errorf("%+v.Percent() = %v, want %v", tt.r, got, tt.want)
		}
	}
}
