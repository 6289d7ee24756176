package web

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/url"
	"sort"
)

func multipartBody(field string, files map[string][]byte, extra url.Values) (io.Reader, string) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, vs := range extra {
		for _, v := range vs {
			w.WriteField(k, v)
		}
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		p, _ := w.CreateFormFile(field, n)
		p.Write(files[n])
	}
	w.Close()
	return &buf, w.FormDataContentType()
}
