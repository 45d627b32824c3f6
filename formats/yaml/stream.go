package yaml

import "bytes"

// Stream joins YAML files into one stream, in order, separated by "---"
// lines (each file keeps its own separators), as 'kubectl apply -f -'
// reads it. Empty files are left out; each part ends with a newline.
func Stream(files [][]byte) []byte {
	var b bytes.Buffer
	for _, f := range files {
		if len(bytes.TrimSpace(f)) == 0 {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("---\n")
		}
		b.Write(f)
		if !bytes.HasSuffix(f, []byte("\n")) {
			b.WriteByte('\n')
		}
	}
	return b.Bytes()
}
