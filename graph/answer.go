package graph

import (
	"encoding/json"

	"github.com/99designs/gqlgen/graphql"
)

// marshalResponse writes resp as encoding/json would, byte for byte,
// without running the answer's data through json's scanner again:
// gqlgen writes the data compact and valid, so all that is left to do
// is json's escaping of <, >, &, U+2028 and U+2029 inside its strings.
// Anything else (an incremental payload, data with whitespace outside
// its strings) goes through json.Marshal.
func marshalResponse(resp *graphql.Response) ([]byte, error) {
	if resp == nil || resp.Label != "" || resp.Path != nil || resp.HasNext != nil || (resp.Data != nil && len(resp.Data) == 0) {
		return json.Marshal(resp)
	}
	b := make([]byte, 0, len(resp.Data)+64)
	b = append(b, '{')
	if len(resp.Errors) > 0 {
		errs, err := json.Marshal(resp.Errors)
		if err != nil {
			return nil, err
		}
		b = append(append(append(b, `"errors":`...), errs...), ',')
	}
	b = append(b, `"data":`...)
	if resp.Data == nil {
		b = append(b, "null"...)
	} else {
		var ok bool
		if b, ok = appendEscapedJSON(b, resp.Data); !ok {
			return json.Marshal(resp)
		}
	}
	if len(resp.Extensions) > 0 {
		ext, err := json.Marshal(resp.Extensions)
		if err != nil {
			return nil, err
		}
		b = append(append(b, `,"extensions":`...), ext...)
	}
	return append(b, '}'), nil
}

// appendEscapedJSON appends compact JSON data to b with json.Marshal's
// HTML-safe escaping inside strings; it reports false when data has
// whitespace outside its strings (not compact).
func appendEscapedJSON(b, data []byte) ([]byte, bool) {
	const hex = "0123456789abcdef"
	inString, escaped := false, false
	start := 0
	for i := 0; i < len(data); i++ {
		c := data[i]
		if !inString {
			switch c {
			case '"':
				inString = true
			case ' ', '\t', '\n', '\r':
				return b, false
			}
			continue
		}
		switch {
		case escaped:
			escaped = false
		case c == '\\':
			escaped = true
		case c == '"':
			inString = false
		case c == '<' || c == '>' || c == '&':
			b = append(b, data[start:i]...)
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			start = i + 1
		case c == 0xE2 && i+2 < len(data) && data[i+1] == 0x80 && data[i+2]&^1 == 0xA8:
			b = append(b, data[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[data[i+2]&0xF])
			i += 2
			start = i + 1
		}
	}
	return append(b, data[start:]...), true
}
