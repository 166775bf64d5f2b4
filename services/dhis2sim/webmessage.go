package dhis2sim

import (
	"bufio"
	"bytes"
	"encoding/json"
	gzip "github.com/klauspost/compress/gzip"
	"io"
	"net/http"
	"strings"
)

// webMessage is DHIS2's WebMessage, with the key order of its @JsonPropertyOrder
// (httpStatus, httpStatusCode, status, code, message, devMessage, response; core@2.40 WebMessage.java).
type webMessage struct {
	HTTPStatus     string `json:"httpStatus"`
	HTTPStatusCode int    `json:"httpStatusCode"`
	Status         string `json:"status"`
	Message        string `json:"message,omitempty"`
	DevMessage     string `json:"devMessage,omitempty"`
	ErrorCode      string `json:"errorCode,omitempty"`
	Response       any    `json:"response,omitempty"`
}

func writeWebMessage(w http.ResponseWriter, code int, status, message, errorCode string, response any) {
	writeJSON(w, code, webMessage{
		HTTPStatus: http.StatusText(code), HTTPStatusCode: code, Status: status,
		Message: message, ErrorCode: errorCode, Response: response,
	})
}

func writeError(w http.ResponseWriter, code int, message string) {
	writeWebMessage(w, code, "ERROR", message, "", nil)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// readBody returns the request body, transparently gunzipping it when it starts with the gzip magic bytes:
// DHIS2 detects compression from the content, not from Content-Encoding (StreamUtils.wrapAndCheckCompressionFormat,
// PERFORMANCE row 21).
func readBody(r *http.Request) (io.Reader, error) {
	br := bufio.NewReaderSize(r.Body, 64<<10)
	magic, _ := br.Peek(2)
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, err
		}
		return zr, nil
	}
	return br, nil
}

// orderedObject writes a JSON object with keys in the given order (DHIS2's serialisation order).
type orderedObject struct {
	keys []string
	vals []any
}

func (o *orderedObject) set(k string, v any) *orderedObject {
	o.keys = append(o.keys, k)
	o.vals = append(o.vals, v)
	return o
}

func (o *orderedObject) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		vb, err := marshalNoEscape(o.vals[i])
		if err != nil {
			return nil, err
		}
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func marshalNoEscape(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// gzipWriter compresses responses for clients that accept gzip, as DHIS2 behind its usual nginx does.
type gzipWriter struct {
	http.ResponseWriter
	zw *gzip.Writer
}

func (g *gzipWriter) Write(p []byte) (int, error) { return g.zw.Write(p) }

func (g *gzipWriter) WriteHeader(code int) {
	if code == http.StatusNoContent || code == http.StatusFound {
		g.zw.Reset(io.Discard)
		g.ResponseWriter.Header().Del("Content-Encoding")
	}
	g.ResponseWriter.WriteHeader(code)
}

func (g *gzipWriter) Flush() {
	_ = g.zw.Flush()
	if f, ok := g.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func maybeGzip(w http.ResponseWriter, r *http.Request) (http.ResponseWriter, func()) {
	if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") || r.Method == http.MethodHead {
		return w, func() {}
	}
	w.Header().Set("Content-Encoding", "gzip")
	w.Header().Add("Vary", "Accept-Encoding")
	zw, _ := gzip.NewWriterLevel(w, gzip.BestSpeed)
	return &gzipWriter{ResponseWriter: w, zw: zw}, func() { _ = zw.Close() }
}
