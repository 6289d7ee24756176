package survey

import (
	"os"
	"testing"
)

// FuzzParseCampaign feeds arbitrary bytes to the campaign file parser: it
// must never panic, return a campaign together with an error, or accept a
// campaign its own checks refuse; what it accepts must survive JSON and
// parse again to the same campaign.
func FuzzParseCampaign(f *testing.F) {
	if data, err := os.ReadFile("../assets/campaign.json"); err == nil {
		f.Add(data)
	}
	f.Add([]byte(campaignSrc(`{"id":"a","name":"甲","start":"2026-03-01","end":"2026-03-31"},{"id":"b","name":"乙","start":"2026-03-20","end":"2026-04-30"}`)))
	f.Add([]byte(`{"id":"c","phases":[{"start":"2026-02-30"}]}`))
	f.Add([]byte(`{"forms":{"visit":{"id":1}}}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseCampaign(data)
		if err != nil {
			if c != nil {
				t.Fatalf("campaign and error: %v", err)
			}
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		if ps := c.Check(); len(ps) > 0 {
			t.Fatalf("accepted a campaign with problems: %v", ps)
		}
		again, err := ParseCampaign(c.JSON())
		if err != nil {
			t.Fatalf("JSON() of an accepted campaign does not parse: %v\n%s", err, c.JSON())
		}
		if string(again.JSON()) != string(c.JSON()) {
			t.Fatalf("round trip changed the campaign:\n%s\n%s", c.JSON(), again.JSON())
		}
	})
}
