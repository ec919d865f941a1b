package sm_test

import (
	"crypto/elliptic"
	"encoding/asn1"
)

func asn1Unmarshal(b []byte, v any) ([]byte, error) { return asn1.Unmarshal(b, v) }

func ellipticP256() elliptic.Curve { return elliptic.P256() }
