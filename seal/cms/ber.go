package cms

// BER to DER. PKCS#7 came from BER, and signers still write it: NSS (and
// with it poppler's pdfsig and Firefox-based tools) and several Windows
// signers emit the SignedData with indefinite lengths, and some split
// OCTET STRINGs into constructed segments. A document sealed here may
// already carry such a signature, and verifying ours must not call theirs
// broken. RFC 5652 lets the SignedData be BER; only the signed attributes
// are DER-encoded for the signature (5.4), and certificates are DER
// (RFC 5280 4.1), so re-encoding the outer layers to DER changes neither
// what is signed nor any certificate that was DER to begin with.

import "fmt"

// Bounds on BER input: nesting deeper than any SignedData, and an output
// no larger than a PDF signature placeholder could hold.
const (
	berMaxDepth = 48
	berMaxSize  = 8 << 20
	berMaxNodes = 1 << 19
)

// berElement re-encodes the first BER element of in as DER and returns
// it with the bytes that follow it. DER input comes back unchanged.
//
// It rewrites lengths in their shortest definite form, closes indefinite
// lengths, and joins the segments of constructed OCTET STRING, BIT STRING
// and character strings (X.690 8.6-8.7, 8.23) into primitive ones. It does
// not sort SET OF or drop DEFAULT values: those are DER rules about
// content, which BER writers here do not break, and a signature over
// re-sorted bytes would no longer verify.
func berElement(in []byte) (der, rest []byte, err error) {
	var p berParser
	n, node, err := p.parse(in, 0)
	if err != nil {
		return nil, nil, err
	}
	out := make([]byte, 0, n)
	out = node.appendDER(out)
	return out, in[n:], nil
}

// berNode is a parsed element: a tag, and either primitive content or
// children.
type berNode struct {
	tag         []byte // identifier octets as read (tag number form kept)
	constructed bool
	content     []byte // primitive content, or the joined segments of a string
	children    []berNode
}

type berParser struct{ size, nodes int }

// parse reads one element at in; it returns the bytes it used.
func (p *berParser) parse(in []byte, depth int) (int, berNode, error) {
	if depth > berMaxDepth {
		return 0, berNode{}, fmt.Errorf("nested more than %d deep", berMaxDepth)
	}
	if p.nodes++; p.nodes > berMaxNodes {
		return 0, berNode{}, fmt.Errorf("more than %d elements", berMaxNodes)
	}
	if len(in) < 2 {
		return 0, berNode{}, fmt.Errorf("truncated element header")
	}
	// Identifier octets (X.690 8.1.2).
	i := 1
	if in[0]&0x1f == 0x1f {
		for {
			if i >= len(in) || i > 5 {
				return 0, berNode{}, fmt.Errorf("bad high tag number")
			}
			b := in[i]
			i++
			if b&0x80 == 0 {
				break
			}
		}
	}
	node := berNode{tag: in[:i], constructed: in[0]&0x20 != 0}
	if i >= len(in) {
		return 0, berNode{}, fmt.Errorf("truncated element header")
	}
	// Length octets (X.690 8.1.3).
	l := int(in[i])
	i++
	indefinite := false
	switch {
	case l == 0x80:
		if !node.constructed {
			return 0, berNode{}, fmt.Errorf("indefinite length on a primitive element")
		}
		indefinite = true
	case l > 0x80:
		k := l & 0x7f
		if k > 4 || i+k > len(in) {
			return 0, berNode{}, fmt.Errorf("bad length")
		}
		l = 0
		for _, b := range in[i : i+k] {
			l = l<<8 | int(b)
		}
		i += k
	}
	if !indefinite && (l < 0 || l > len(in)-i) {
		return 0, berNode{}, fmt.Errorf("length %d runs past the end (%d bytes left)", l, len(in)-i)
	}
	if !node.constructed {
		p.size += l
		if p.size > berMaxSize {
			return 0, berNode{}, fmt.Errorf("more than %d bytes of content", berMaxSize)
		}
		node.content = in[i : i+l]
		return i + l, node, nil
	}
	body := in[i:]
	if !indefinite {
		body = body[:l]
	}
	j := 0
	for {
		if indefinite {
			if j+2 <= len(body) && body[j] == 0 && body[j+1] == 0 {
				j += 2
				break
			}
			if j >= len(body) {
				return 0, berNode{}, fmt.Errorf("indefinite length without end-of-contents")
			}
		} else if j == len(body) {
			break
		}
		n, child, err := p.parse(body[j:], depth+1)
		if err != nil {
			return 0, berNode{}, err
		}
		node.children = append(node.children, child)
		j += n
	}
	if isStringTag(node.tag) {
		if err := node.join(); err != nil {
			return 0, berNode{}, err
		}
	}
	return i + j, node, nil
}

// isStringTag reports a universal string type, whose constructed BER form
// DER writes as primitive: BIT STRING, OCTET STRING and the character
// strings.
func isStringTag(tag []byte) bool {
	if len(tag) != 1 || tag[0]&0xc0 != 0 {
		return false
	}
	switch tag[0] & 0x1f {
	case 3, 4, 12, 18, 19, 20, 21, 22, 25, 26, 27, 28, 30:
		return true
	}
	return false
}

// join turns a constructed string into a primitive one with the segments'
// contents in order. A BIT STRING's segments each start with their count
// of unused bits, which only the last may have.
func (n *berNode) join() error {
	bits := n.tag[0]&0x1f == 3
	var out []byte
	if bits {
		out = []byte{0}
	}
	var flat func(c []berNode) error
	flat = func(cs []berNode) error {
		for k, c := range cs {
			if len(c.tag) != 1 || c.tag[0]&0x1f != n.tag[0]&0x1f || c.tag[0]&0xc0 != 0 {
				return fmt.Errorf("a segment of a constructed string has another type")
			}
			if c.constructed {
				if err := flat(c.children); err != nil {
					return err
				}
				continue
			}
			seg := c.content
			if bits {
				if len(seg) == 0 || seg[0] > 7 || (seg[0] != 0 && k != len(cs)-1) {
					return fmt.Errorf("bad BIT STRING segment")
				}
				out[0] = seg[0]
				seg = seg[1:]
			}
			out = append(out, seg...)
		}
		return nil
	}
	if err := flat(n.children); err != nil {
		return err
	}
	n.tag = []byte{n.tag[0] &^ 0x20}
	n.constructed, n.content, n.children = false, out, nil
	return nil
}

// appendDER appends the node's DER encoding to out.
func (n *berNode) appendDER(out []byte) []byte {
	out = append(out, n.tag...)
	if !n.constructed {
		out = appendLength(out, len(n.content))
		return append(out, n.content...)
	}
	l := 0
	for k := range n.children {
		l += n.children[k].derLen()
	}
	out = appendLength(out, l)
	for k := range n.children {
		out = n.children[k].appendDER(out)
	}
	return out
}

func (n *berNode) derLen() int {
	l := len(n.content)
	if n.constructed {
		l = 0
		for k := range n.children {
			l += n.children[k].derLen()
		}
	}
	return len(n.tag) + lengthLen(l) + l
}

func lengthLen(l int) int {
	if l < 0x80 {
		return 1
	}
	k := 1
	for v := l; v > 0xff; v >>= 8 {
		k++
	}
	return 1 + k
}

func appendLength(out []byte, l int) []byte {
	if l < 0x80 {
		return append(out, byte(l))
	}
	k := lengthLen(l) - 1
	out = append(out, 0x80|byte(k))
	for s := (k - 1) * 8; s >= 0; s -= 8 {
		out = append(out, byte(l>>s))
	}
	return out
}
