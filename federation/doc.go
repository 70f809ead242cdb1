// Package federation lets regions recognise each other's electronic licenses
// (跨区域互认) without sharing a database: a federation signs a trust list of
// its regions, every node loads it and refreshes it, and a node asks the
// issuing region's node for a license's status, which answers with a signed
// status answer, as OCSP does for certificates.
//
// # Trust list
//
// A trust list is a compact JWS (RFC 7515) of media type TypTrustList,
// signed by a federation key as internal/jws signs every token of the
// service: alg "SM2SM3" for SM2 keys, "ES256" for P-256 keys, and kid
// license.KeyID of the key.
// The payload is JSON in the field order of TrustList, without HTML escaping
// or a trailing newline, times in UTC RFC 3339:
//
//	{
//	  "federation": "长三角一网通办互认联盟",
//	  "sequence": 42,
//	  "issuedAt": "2026-03-01T00:00:00Z",
//	  "nextUpdate": "2026-03-31T00:00:00Z",
//	  "regions": [{
//	    "code": "310000",
//	    "name": "上海市",
//	    "status": "active",
//	    "endpoints": ["https://eseal.sh.example.cn"],
//	    "caCertificates": ["-----BEGIN CERTIFICATE-----\n...", "MIIB..."],
//	    "issuers": [{"uscc": "11310000MB2F12345X", "name": "上海市市场监督管理局"}],
//	    "issuerKeys": [{"keyId": "x1y2...", "uscc": "11310000MB2F12345X", "certificate": "MIIB..."}],
//	    "nodeKeys": [{"publicKey": "MFkwEwYHKoZIzj0CAQYIKoEcz1UBgi0DQgAE..."}]
//	  }]
//	}
//
// The list-level fields follow the EU trusted lists (ETSI TS 119 612):
// sequence is the TSL sequence number, strictly increasing from one list to
// the next; issuedAt the list issue date and time; nextUpdate the time by
// which a newer list is published. A list is not used at or after its
// nextUpdate: it has expired.
//
// Each region is a deployment of its own, named by its administrative
// division code (区划码, GB/T 2260, six digits) and a status: active,
// suspended or withdrawn. Only active regions are trusted; the others stay
// listed so that their keys are known and refused with a reason. A region
// lists:
//
//   - endpoints: base URLs of its nodes. The status of a license is at
//     GET {base}/v1/licenses/{id}/status, license verification at
//     POST {base}/v1/verify/license.
//   - caCertificates: its CA certificates for license issuers and seals,
//     each PEM (one certificate) or base64 DER. They are trust anchors.
//   - issuers: the USCCs (统一社会信用代码) of its issuing departments. A
//     license identifier (GB/T 36904) carries its issuer's USCC, which is
//     how a license is mapped to the region that can answer for it. A USCC
//     belongs to one region only.
//   - issuerKeys: the keys that sign its licenses, each a certificate or a
//     public key (PEM or base64 DER SubjectPublicKeyInfo), optionally its
//     key id (which must then match) and the USCC of the one issuer it may
//     sign for (which must be among the region's issuers). A certificate
//     must chain to the region's CA certificates if the region lists any,
//     as of its notBefore: a key whose certificate has expired stays
//     listed for as long as the licenses it signed are to be verified.
//   - nodeKeys: the keys of its nodes that sign status answers, in the same
//     form.
//
// Key ids are unique across the whole list. Unknown fields are an error:
// a node does not use a list it cannot fully understand.
//
// # Status answer
//
// A status answer is a compact JWS of media type TypStatus, signed by one of
// the region's node keys, over JSON in the field order of StatusAnswer:
//
//	{"identifier":"1.2.156.3005.2....","status":"valid",
//	 "producedAt":"2026-03-02T08:00:00Z","nextUpdate":"2026-03-02T08:05:00Z",
//	 "region":"310000"}
//
// status is one of valid, suspended, revoked, cancelled, replaced and
// expired (license.StatusValid ...); replacedBy names the new license of a
// replaced one. A node answers GET {base}/v1/licenses/{id}/status with the
// token as the body (Content-Type application/jose), or 404 if it does not
// hold the license. An answer may be relied on until its nextUpdate.
package federation
