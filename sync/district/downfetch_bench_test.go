package district

import (
	"testing"

	"github.com/google/uuid"

	"zoufang/sync"
)

// BenchmarkDownRequest measures what one down request costs the district
// (District.FetchDown, without HTTP): refused before anything is written
// (an unknown device; a request signed by another device's key), and
// answered with nothing new (the nonce written in a transaction). Each
// iteration is a new signed request, made before the timer runs.
func BenchmarkDownRequest(b *testing.B) {
	d := newDistrict(b)
	a, other := enrol(b, d, "张伟"), enrol(b, d, "李娜")
	reqs := func(b *testing.B, dev string, keys *sync.Keys) [][]byte {
		out := make([][]byte, b.N)
		for i := range out {
			data, err := sync.NewDownRequest(sync.DownRequest{DeviceID: dev, Created: testNow}, keys)
			if err != nil {
				b.Fatal(err)
			}
			out[i] = data
		}
		return out
	}
	b.Run("unknown-device", func(b *testing.B) {
		rs := reqs(b, uuid.NewString(), a.keys)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := d.FetchDown(ctx, "", rs[i]); err == nil {
				b.Fatal("answered")
			}
		}
	})
	b.Run("bad-signature", func(b *testing.B) {
		rs := reqs(b, a.id, other.keys)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := d.FetchDown(ctx, a.id, rs[i]); err == nil {
				b.Fatal("answered")
			}
		}
	})
	b.Run("nothing-new", func(b *testing.B) {
		rs := reqs(b, a.id, a.keys)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if ans, err := d.FetchDown(ctx, a.id, rs[i]); err != nil || ans.Bundle != nil {
				b.Fatalf("%v %v", ans.Seq, err)
			}
		}
	})
}
