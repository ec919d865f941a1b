// Package scan reads what a department needs from the scan of a letter
// signed on paper: the QR codes printed on it, which name the draft the
// paper was printed from. A scan is a PNG, JPEG or TIFF image, or a PDF of
// scanned pages (its page images are read: JPEG, as scanners write them,
// or Flate-compressed pixels).
//
// Scans come from outside: every size is bounded before memory is
// allocated for it, and a file this package cannot read is an EINVALID
// error, never a crash.
package scan

import (
	"bytes"
	"image"
	"image/draw"
	_ "image/jpeg" // scans
	_ "image/png"

	"github.com/makiuchi-d/gozxing"
	multiqr "github.com/makiuchi-d/gozxing/multi/qrcode"
	_ "golang.org/x/image/tiff"

	"github.com/chengnuo/chengnuo"
)

// Limits of what a scan may hold.
const (
	MaxPixels = 60_000_000 // one image: an A4 page at 600 dpi is 35 million
	MaxImages = 64         // images of a PDF that are read
)

// MediaTypes are the scans' accepted media types.
var MediaTypes = []string{"application/pdf", "image/jpeg", "image/png", "image/tiff"}

// QRCodes returns the texts of the QR codes found in a scan, in the order
// found (none: an empty list). EINVALID for a file that is not of its media
// type or is larger than the limits.
func QRCodes(mediaType string, data []byte) ([]string, error) {
	var imgs []image.Image
	switch mediaType {
	case "image/png", "image/jpeg", "image/tiff":
		img, err := decodeImage(data)
		if err != nil {
			return nil, err
		}
		imgs = []image.Image{img}
	case "application/pdf":
		var err error
		if imgs, err = pdfImages(data); err != nil {
			return nil, err
		}
	default:
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "a scan is application/pdf, image/jpeg, image/png or image/tiff, not %q", mediaType)
	}
	var out []string
	seen := map[string]bool{}
	for _, img := range imgs {
		for _, s := range decode(img) {
			if !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
	}
	return out, nil
}

// decodeImage decodes an image file after checking its size.
func decodeImage(data []byte) (image.Image, error) {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "the scan is not a readable image: %v", err)
	}
	if err := checkSize(cfg.Width, cfg.Height); err != nil {
		return nil, err
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, chengnuo.Errorf(chengnuo.EINVALID, "the scan is not a readable image: %v", err)
	}
	return img, nil
}

func checkSize(w, h int) error {
	if w <= 0 || h <= 0 || w > MaxPixels/h {
		return chengnuo.Errorf(chengnuo.EINVALID, "a scanned image is %d×%d pixels; at most %d million are read", w, h, MaxPixels/1_000_000)
	}
	return nil
}

var hints = map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true}

// decode finds the QR codes of an image: of the whole image, then, if none
// was found, of its lower right quarter enlarged (where the letter's footer
// puts the code), and of the image's negative (a code drawn light on dark,
// or an indexed image whose palette this package read the other way).
func decode(img image.Image) []string {
	tries := []image.Image{img}
	b := img.Bounds()
	if b.Dx() >= 400 && b.Dy() >= 400 {
		tries = append(tries, crop(img, image.Rect(b.Min.X+b.Dx()/2, b.Min.Y+b.Dy()*3/4, b.Max.X, b.Max.Y)))
	}
	for _, invert := range []bool{false, true} {
		for _, t := range tries {
			src := gozxing.NewLuminanceSourceFromImage(t)
			if invert {
				src = src.Invert()
			}
			bmp, err := gozxing.NewBinaryBitmap(gozxing.NewHybridBinarizer(src))
			if err != nil {
				continue
			}
			res, _ := multiqr.NewQRCodeMultiReader().DecodeMultiple(bmp, hints)
			if len(res) > 0 {
				out := make([]string, len(res))
				for i, r := range res {
					out[i] = r.GetText()
				}
				return out
			}
		}
	}
	return nil
}

// crop copies part of an image.
func crop(img image.Image, r image.Rectangle) image.Image {
	dst := image.NewGray(image.Rect(0, 0, r.Dx(), r.Dy()))
	draw.Draw(dst, dst.Bounds(), img, r.Min, draw.Src)
	return dst
}
