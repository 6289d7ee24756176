package web

// Uploads: every file the workbench takes (bundles from a USB stick, a
// roster, an enrolment request) is read from the request as a stream,
// part by part (http.Request.MultipartReader), never through
// ParseMultipartForm, which buffers up to its memory argument and spills
// the rest to /tmp. A bundle goes straight into the district's import
// (district.ImportUpload writes it to incoming/ while checking it), a
// roster into a file in incoming/ before the import opens its write
// transaction (a slow upload must not hold the database's write lock),
// and a small file into memory within its cap. Text fields are kept,
// bounded, so PostFormValue works afterwards as usual.

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path"
	"strings"

	"zoufang/survey"
)

// Caps on request bodies. A POST that carries no file is at most maxForm:
// the largest is a form definition sent back base64-encoded for
// confirmation (8 MB, 11 MB encoded). Routes that take files have their
// own caps (bodyLimits); every file within them has its own too.
const (
	maxForm = 16 << 20
	// maxBundlesPost caps a USB import posted at once without the page's
	// script (which posts one file per request): the bundles are imported
	// one after another as they arrive, so this bounds time, not memory.
	maxBundlesPost = 2 << 30
	// maxRosterPost is the largest roster file (CSV; survey.MaxRosterBytes)
	// and the form around it.
	maxRosterPost = survey.MaxRosterBytes + 1<<20
)

// bodyLimits caps the bodies of the routes that take files, by route
// pattern; every other POST is capped at maxForm.
var bodyLimits = map[string]int64{
	"POST /bundles/import":     maxBundlesPost,
	"POST /enterprises/import": maxRosterPost,
}

// bodyLimit returns the cap on the body of a POST to pattern.
func bodyLimit(pattern string) int64 {
	if n, ok := bodyLimits[pattern]; ok {
		return n
	}
	return maxForm
}

// Caps on the text fields of a multipart form (a token, a reason).
const (
	maxFields      = 100
	maxFieldBytes  = 64 << 10
	maxFieldsTotal = 1 << 20
	maxFileParts   = 200
)

var (
	errNoFile    = badRequest("没有收到上传的文件，请选择文件后再提交。未做任何修改。")
	errBadForm   = badRequest("上传的表单格式无效，请在工作台页面中选择文件后提交。未做任何修改。")
	errTooMany   = badRequest("一次上传的文件或表单项太多，请分批上传。未做任何修改。")
	errUploadCut = &pageError{http.StatusRequestTimeout, "提交的内容没有完整收到（网络中断或过慢），未做任何修改。请检查网络后重试。"}
)

// filePart is one file of a multipart upload, read as it arrives.
type filePart struct {
	Field string // the form field
	Name  string // the file's name as the browser gave it (base name)
	io.Reader
}

// readMultipart reads a multipart/form-data request body part by part:
// text fields are collected (bounded) and each file part is handed to
// onFile, which reads as much of it as it wants (the rest is skipped).
// Afterwards the text fields are in r.PostForm and r.Form, as
// ParseMultipartForm would leave them. An error from onFile stops the
// reading and is returned.
func readMultipart(r *http.Request, onFile func(p *filePart) error) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		return errNoFile
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return errBadForm
	}
	form := url.Values{}
	fields, files, total := 0, 0, 0
	defer func() {
		q := r.URL.Query()
		for k, vs := range form {
			q[k] = append(vs, q[k]...)
		}
		r.PostForm, r.Form = form, q
	}()
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return bodyError(err, errBadForm)
		}
		if p.FileName() != "" {
			if files++; files > maxFileParts {
				return errTooMany
			}
			name := path.Base(strings.ReplaceAll(p.FileName(), `\`, "/"))
			if err := onFile(&filePart{Field: p.FormName(), Name: name, Reader: p}); err != nil {
				return err
			}
			continue
		}
		if fields++; fields > maxFields {
			return errTooMany
		}
		v, err := io.ReadAll(io.LimitReader(p, maxFieldBytes+1))
		if err != nil {
			return bodyError(err, errBadForm)
		}
		if total += len(v); len(v) > maxFieldBytes || total > maxFieldsTotal {
			return errTooMany
		}
		form.Add(p.FormName(), string(v))
	}
}

// bodyError turns an error reading a request body into what the person is
// told: too large (the route's cap), cut off or stalled, or otherwise.
func bodyError(err, otherwise error) error {
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return err // fail answers 413
	case errors.Is(err, errStalled), errors.Is(err, io.ErrUnexpectedEOF), isTimeout(err):
		return errUploadCut
	}
	return otherwise
}

// uploadedFile reads the first file of a multipart form's field into
// memory, refusing it beyond limit bytes; other files are skipped.
func uploadedFile(r *http.Request, field string, limit int64) ([]byte, string, error) {
	var data []byte
	var name string
	found := false
	err := readMultipart(r, func(p *filePart) error {
		if p.Field != field || found {
			return nil
		}
		found, name = true, p.Name
		var err error
		data, err = io.ReadAll(io.LimitReader(p, limit+1))
		if err != nil {
			return bodyError(err, badRequest("读取上传文件 %s 失败。未做任何修改。", p.Name))
		}
		if int64(len(data)) > limit {
			return fileTooLarge(p.Name, limit)
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	if !found {
		return nil, "", errNoFile
	}
	return data, name, nil
}

// fileTooLarge refuses one uploaded file.
func fileTooLarge(name string, limit int64) error {
	return &pageError{http.StatusRequestEntityTooLarge, fmt.Sprintf("文件 %s 太大：这类文件最多 %s。未做任何修改。", name, sizeText(limit))}
}

// sizeText says a size for people.
func sizeText(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.0f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.0f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d 字节", n)
}

// spooledFile is an uploaded file written to the district's incoming/
// folder; Close removes it.
type spooledFile struct {
	*os.File
	Name string // the file's name as the browser gave it
}

func (f *spooledFile) Close() error {
	err := f.File.Close()
	os.Remove(f.File.Name())
	return err
}

// spoolFile writes the first file of a multipart form's field to a file
// (0600) in the district's incoming/ folder, refusing it beyond limit
// bytes or when check refuses its name (before reading it), and returns it
// positioned at its start; other files are skipped. The caller closes it,
// which removes it.
func (s *Server) spoolFile(r *http.Request, field, kind string, limit int64, check func(name string) error) (*spooledFile, error) {
	var out *spooledFile
	fail := func(err error) (*spooledFile, error) {
		if out != nil {
			out.Close()
		}
		return nil, err
	}
	err := readMultipart(r, func(p *filePart) error {
		if p.Field != field || out != nil {
			return nil
		}
		if check != nil {
			if err := check(p.Name); err != nil {
				return err
			}
		}
		f, err := s.d.UploadFile(kind)
		if err != nil {
			return fmt.Errorf("spool upload: %w", err)
		}
		out = &spooledFile{File: f, Name: p.Name}
		n, err := io.Copy(f, io.LimitReader(p, limit+1))
		if err != nil {
			var pe *os.PathError
			if errors.As(err, &pe) {
				return fmt.Errorf("spool upload: %w", err) // the disk, not the upload
			}
			return bodyError(err, badRequest("读取上传文件 %s 失败。未做任何修改。", p.Name))
		}
		if n > limit {
			return fileTooLarge(p.Name, limit)
		}
		return nil
	})
	if err != nil {
		return fail(err)
	}
	if out == nil {
		return fail(errNoFile)
	}
	if _, err := out.Seek(0, io.SeekStart); err != nil {
		return fail(fmt.Errorf("spool upload: %w", err))
	}
	return out, nil
}
