// Package ses reads, writes, makes and verifies the electronic seal
// (电子印章, SES_Seal) and electronic seal signature (电子签章数据,
// SES_Signature) structures of GB/T 38540-2020 (信息安全技术 安全电子签章密码
// 技术规范), data structure version 4.
//
// Encoding is exact DER both ways: everything ParseSeal or ParseSignature
// accepts, Marshal reproduces byte for byte, so a parsed seal can be embedded
// in a new signature without breaking its maker's signature, and signatures
// are always checked over the encoding of the fields the caller sees.
//
// # The ASN.1 module as implemented
//
//	-- GB/T 38540-2020 6 电子印章
//	SES_Seal ::= SEQUENCE {
//	    eSealInfo    SES_SealInfo,
//	    cert         OCTET STRING,       -- maker (制章者) certificate, DER
//	    signAlgID    OBJECT IDENTIFIER,  -- 1.2.156.10197.1.501 SM2-with-SM3
//	    signedValue  BIT STRING          -- maker's SM2 signature over DER(eSealInfo)
//	}
//	SES_SealInfo ::= SEQUENCE {
//	    header    SES_Header,
//	    esID      IA5String,
//	    property  SES_ESPropertyInfo,
//	    picture   SES_ESPictrueInfo,     -- sic, the standard's spelling
//	    extDatas  ExtensionDatas OPTIONAL
//	}
//	SES_Header ::= SEQUENCE {
//	    id       IA5String,              -- "ES"
//	    version  INTEGER,                -- 4
//	    vid      IA5String               -- vendor (厂商) identifier
//	}
//	SES_ESPropertyInfo ::= SEQUENCE {
//	    type          INTEGER,           -- seal type, defined by the application
//	    name          UTF8String,
//	    certListType  INTEGER,           -- 1 certificates, 2 certificate digests
//	    certList      SES_CertList,
//	    createDate    GeneralizedTime,
//	    validStart    GeneralizedTime,
//	    validEnd      GeneralizedTime
//	}
//	SES_CertList ::= CHOICE {            -- untagged; certListType selects
//	    certs           CertInfoList,
//	    certDigestList  CertDigestList
//	}
//	CertInfoList   ::= SEQUENCE OF OCTET STRING   -- signer certificates, DER
//	CertDigestList ::= SEQUENCE OF CertDigestObj
//	CertDigestObj  ::= SEQUENCE { type PrintableString, value OCTET STRING }
//	SES_ESPictrueInfo ::= SEQUENCE {
//	    type    IA5String,               -- "PNG", "GIF", "ofd", ...
//	    data    OCTET STRING,
//	    width   INTEGER,                 -- millimetres
//	    height  INTEGER                  -- millimetres
//	}
//	ExtensionDatas ::= SEQUENCE SIZE (0..MAX) OF ExtData
//	ExtData ::= SEQUENCE {
//	    extnID     OBJECT IDENTIFIER,
//	    critical   BOOLEAN DEFAULT FALSE,
//	    extnValue  OCTET STRING
//	}
//
//	-- GB/T 38540-2020 7 电子签章
//	SES_Signature ::= SEQUENCE {
//	    toSign          TBS_Sign,
//	    cert            OCTET STRING,        -- signer (签章者) certificate, DER
//	    signatureAlgID  OBJECT IDENTIFIER,   -- 1.2.156.10197.1.501
//	    signature       BIT STRING,          -- signer's SM2 signature over DER(toSign)
//	    timeStamp       [0] EXPLICIT BIT STRING OPTIONAL  -- GB/T 20520 token over signature
//	}
//	TBS_Sign ::= SEQUENCE {
//	    version       INTEGER,             -- 4, same as the seal header
//	    eseal         SES_Seal,
//	    timeInfo      GeneralizedTime,
//	    dataHash      BIT STRING,          -- SM3 of the protected content
//	    propertyInfo  IA5String,           -- what was signed, e.g. an OFD path
//	    extDatas      [0] EXPLICIT ExtensionDatas OPTIONAL
//	}
//
// All SM2 signatures are DER SEQUENCE { r INTEGER, s INTEGER } (GB/T 35276)
// over SM3(Z || M) with the default user ID "1234567812345678".
//
// Checked against ofdrw (org.ofdrw.gm.ses.v4) and against real seals from
// two vendors: a KingGrid/GOMAIN tax-invoice seal (header vid "GOMAIN", type
// 3, picture "ofd" 30x20 mm, one ExtData with critical FALSE encoded) and a
// HebeiGede contract seal (two signer certificates, three ExtData, GIF).
// Both encode critical even when FALSE; this package does the same when it
// writes, and remembers an omitted critical when it reads so that the bytes
// round-trip.
//
// # Differences from GM/T 0031-2014 (version 1)
//
// Version 1 structures are recognised and refused with ErrUnsupportedVersion.
// They differ as follows: SES_Seal is SEQUENCE { esealInfo, signInfo
// SES_SignInfo { cert, signatureAlgorithm, signData } } and the maker signs
// SEQUENCE { esealInfo, cert, signatureAlgorithm }; SES_ESPropertyInfo has no
// certListType, certList is always SEQUENCE OF OCTET STRING, the three dates
// are UTCTime, and type is 1 (单位印章, organisation) or 2 (个人印章,
// personal), where version 4 leaves type to the application; TBS_Sign carries
// timeInfo as a BIT STRING and the signer's cert and signatureAlgorithm
// inside the signed data, and SES_Signature is just SEQUENCE { toSign,
// signature } with no time stamp.
//
// What this package does not do: build or verify certificate chains, check
// revocation, or check time stamps. Those belong to the certs and verify
// packages; MakerCertificate and SignerCertificate hand them the
// certificates.
package ses
