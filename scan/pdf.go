package scan

import (
	"bytes"
	"compress/zlib"
	"image"
	"image/color"
	"io"
	"regexp"
	"strconv"

	"github.com/chengnuo/chengnuo"
)

// A PDF's image XObjects, read without a full PDF parser: a scanner's PDF
// is a page per image, each image an object whose dictionary says
// /Subtype /Image and whose stream holds the pixels. Only what decoding an
// image needs is read from the dictionary; an image in a form this package
// does not decode (CCITT, JBIG2, JPEG 2000, inline or in object streams)
// is skipped.
var (
	reStream    = regexp.MustCompile(`>>\s*stream\r?\n`)
	reImage     = regexp.MustCompile(`/Subtype\s*/Image\b`)
	reWidth     = regexp.MustCompile(`/Width\s+(\d+)`)
	reHeight    = regexp.MustCompile(`/Height\s+(\d+)`)
	reBPC       = regexp.MustCompile(`/BitsPerComponent\s+(\d+)`)
	reLength    = regexp.MustCompile(`/Length\s+(\d+)(\s+\d+\s+R)?`)
	reFilter    = regexp.MustCompile(`/Filter\s*(\[[^\]]*\]|/[A-Za-z0-9]+)`)
	reName      = regexp.MustCompile(`/([A-Za-z0-9]+)`)
	rePredictor = regexp.MustCompile(`/Predictor\s+(\d+)`)
	reIndexed   = regexp.MustCompile(`/Indexed\b`)
	reGray      = regexp.MustCompile(`/DeviceGray\b`)
)

// pdfImages returns the images of a PDF that this package decodes.
func pdfImages(data []byte) ([]image.Image, error) {
	if !bytes.HasPrefix(data, []byte("%PDF-")) {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "the scan is not a PDF (it does not start with %%PDF-)")
	}
	var out []image.Image
	for _, loc := range reStream.FindAllIndex(data, -1) {
		if len(out) == MaxImages {
			break
		}
		dict := dictBefore(data, loc[0]+2)
		if dict == nil || !reImage.Match(dict) {
			continue
		}
		img, err := pdfImage(dict, streamData(data, dict, loc[1]))
		if err != nil {
			return nil, err
		}
		if img != nil {
			out = append(out, img)
		}
	}
	return out, nil
}

// dictBefore is the dictionary that ends at end (just after its ">>"):
// from its matching "<<", nested dictionaries counted.
func dictBefore(data []byte, end int) []byte {
	depth := 0
	for i := end - 2; i > 0 && end-i < 64<<10; i-- {
		switch {
		case data[i] == '>' && data[i+1] == '>':
			depth++
			i--
		case data[i-1] == '<' && data[i] == '<':
			depth--
			i--
			if depth == 0 {
				return data[i:end]
			}
		}
	}
	return nil
}

// streamData is a stream's bytes: /Length of them when the dictionary
// gives it directly and an "endstream" follows, else up to "endstream".
func streamData(data, dict []byte, start int) []byte {
	if m := reLength.FindSubmatch(dict); m != nil && len(m[2]) == 0 {
		if n, err := strconv.Atoi(string(m[1])); err == nil && n >= 0 && n <= len(data)-start {
			if rest := bytes.TrimLeft(data[start+n:], "\r\n \t"); bytes.HasPrefix(rest, []byte("endstream")) {
				return data[start : start+n]
			}
		}
	}
	if end := bytes.Index(data[start:], []byte("endstream")); end >= 0 {
		return bytes.TrimRight(data[start:start+end], "\r\n")
	}
	return data[start:]
}

func intOf(re *regexp.Regexp, dict []byte) int {
	m := re.FindSubmatch(dict)
	if m == nil {
		return 0
	}
	n, err := strconv.Atoi(string(m[1]))
	if err != nil {
		return 0
	}
	return n
}

// pdfImage decodes one image XObject; nil for a form it does not decode.
func pdfImage(dict, raw []byte) (image.Image, error) {
	var filters []string
	if m := reFilter.FindSubmatch(dict); m != nil {
		for _, n := range reName.FindAllSubmatch(m[1], -1) {
			filters = append(filters, string(n[1]))
		}
	}
	w, h := intOf(reWidth, dict), intOf(reHeight, dict)
	if err := checkSize(w, h); err != nil {
		return nil, err
	}
	data := raw
	for i, f := range filters {
		switch f {
		case "DCTDecode", "DCT":
			if i != len(filters)-1 {
				return nil, nil
			}
			return decodeImage(data)
		case "FlateDecode", "Fl":
			var err error
			if data, err = inflate(data, w*h*4+h); err != nil {
				return nil, nil // unreadable: skipped, like a form not decoded
			}
		default:
			return nil, nil
		}
	}
	return rawImage(dict, data, w, h)
}

// inflate decompresses at most limit bytes.
func inflate(data []byte, limit int) ([]byte, error) {
	zr, err := zlib.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	return io.ReadAll(io.LimitReader(zr, int64(limit)+1))
}

// rawImage reads decompressed samples: 1 or 8 bits a component, gray, RGB,
// CMYK or indexed (whose palette is not read: an index is taken as a gray
// level, and decode tries the negative too), rows possibly PNG-predicted.
func rawImage(dict, data []byte, w, h int) (image.Image, error) {
	bpc := intOf(reBPC, dict)
	if bpc != 1 && bpc != 8 {
		return nil, nil
	}
	predicted := intOf(rePredictor, dict) >= 10
	comps := 0
	switch {
	case reIndexed.Match(dict), reGray.Match(dict):
		comps = 1
	default:
		// RGB, CMYK or an ICC profile: the size of the data tells.
		for _, c := range []int{3, 4, 1} {
			if len(data) == rows(w, c, bpc, predicted)*h {
				comps = c
				break
			}
		}
	}
	stride := rows(w, comps, bpc, predicted)
	if comps == 0 || len(data) < stride*h {
		return nil, nil
	}
	if predicted {
		var err error
		if data, err = unpredict(data, w, h, comps, bpc); err != nil {
			return nil, nil
		}
		stride--
	}
	indexed := reIndexed.Match(dict)
	hi := uint8(1)
	if indexed {
		hi = max(1, maxOf(data))
	}
	img := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		row := data[y*stride : (y+1)*stride]
		for x := range w {
			var v uint8
			switch {
			case bpc == 1:
				v = (row[x/8] >> (7 - uint(x%8))) & 1 * 255
			case comps == 1 && indexed:
				v = uint8(int(row[x]) * 255 / int(hi))
			case comps == 1:
				v = row[x]
			case comps == 3:
				v = color.GrayModel.Convert(color.RGBA{row[3*x], row[3*x+1], row[3*x+2], 255}).(color.Gray).Y
			case comps == 4:
				k := 255 - int(row[4*x+3])
				v = uint8(k * (255 - (int(row[4*x])+int(row[4*x+1])+int(row[4*x+2]))/3) / 255)
			}
			img.Pix[y*img.Stride+x] = v
		}
	}
	return img, nil
}

// rows is the bytes of one row of samples (with its predictor byte).
func rows(w, comps, bpc int, predicted bool) int {
	n := (w*comps*bpc + 7) / 8
	if predicted {
		n++
	}
	return n
}

// maxOf is the largest byte of data (an indexed image's highest index).
func maxOf(data []byte) uint8 {
	var m uint8
	for _, b := range data {
		m = max(m, b)
	}
	return m
}

// unpredict undoes PNG row filters (PDF predictors 10 to 15).
func unpredict(data []byte, w, h, comps, bpc int) ([]byte, error) {
	stride := rows(w, comps, bpc, false)
	bpp := max(1, comps*bpc/8)
	out := make([]byte, stride*h)
	prev := make([]byte, stride)
	for y := range h {
		in := data[y*(stride+1) : (y+1)*(stride+1)]
		cur := out[y*stride : (y+1)*stride]
		copy(cur, in[1:])
		for i := range cur {
			var a, b, c byte
			if i >= bpp {
				a, c = cur[i-bpp], prev[i-bpp]
			}
			b = prev[i]
			switch in[0] {
			case 0:
			case 1:
				cur[i] += a
			case 2:
				cur[i] += b
			case 3:
				cur[i] += byte((int(a) + int(b)) / 2)
			case 4:
				cur[i] += paeth(a, b, c)
			default:
				return nil, chengnuo.Errorf(chengnuo.EINVALID, "bad PNG predictor %d", in[0])
			}
		}
		prev = cur
	}
	return out, nil
}

func paeth(a, b, c byte) byte {
	p := int(a) + int(b) - int(c)
	pa, pb, pc := abs(p-int(a)), abs(p-int(b)), abs(p-int(c))
	switch {
	case pa <= pb && pa <= pc:
		return a
	case pb <= pc:
		return b
	}
	return c
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
