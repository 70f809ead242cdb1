//go:build ignore

/*
 * p11_objects.c - key pair generation, attributes, search, destruction.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "sm2token.h"

/* Extracts 04||X||Y from CKA_EC_POINT (DER OCTET STRING, or raw). */
int tt_ec_point_decode(const tt_attrs *a, unsigned char pub[65])
{
	const tt_attr *at = tt_attrs_find(a, CKA_EC_POINT);

	if (at == NULL)
		return -1;
	if (at->len == 67 && at->val[0] == 0x04 && at->val[1] == 65 &&
	    at->val[2] == 0x04) {
		memcpy(pub, at->val + 2, 65);
		return 0;
	}
	if (at->len == 65 && at->val[0] == 0x04) {
		memcpy(pub, at->val, 65);
		return 0;
	}
	return -1;
}

enum { K_BOOL, K_BYTES, K_CLASS, K_KEYTYPE, K_PARAMS, K_RO };

struct tmpl_rule {
	CK_ATTRIBUTE_TYPE type;
	int kind;
	int pub, priv; /* allowed in the public / private template */
};

static const struct tmpl_rule rules[] = {
	{ CKA_CLASS, K_CLASS, 1, 1 },
	{ CKA_KEY_TYPE, K_KEYTYPE, 1, 1 },
	{ CKA_TOKEN, K_BOOL, 1, 1 },
	{ CKA_PRIVATE, K_BOOL, 1, 1 },
	{ CKA_MODIFIABLE, K_BOOL, 1, 1 },
	{ CKA_COPYABLE, K_BOOL, 1, 1 },
	{ CKA_DESTROYABLE, K_BOOL, 1, 1 },
	{ CKA_LABEL, K_BYTES, 1, 1 },
	{ CKA_ID, K_BYTES, 1, 1 },
	{ CKA_SUBJECT, K_BYTES, 1, 1 },
	{ CKA_START_DATE, K_BYTES, 1, 1 },
	{ CKA_END_DATE, K_BYTES, 1, 1 },
	{ CKA_DERIVE, K_BOOL, 1, 1 },
	{ CKA_EC_PARAMS, K_PARAMS, 1, 1 },
	{ CKA_VERIFY, K_BOOL, 1, 0 },
	{ CKA_VERIFY_RECOVER, K_BOOL, 1, 0 },
	{ CKA_ENCRYPT, K_BOOL, 1, 0 },
	{ CKA_WRAP, K_BOOL, 1, 0 },
	{ CKA_SIGN, K_BOOL, 0, 1 },
	{ CKA_SIGN_RECOVER, K_BOOL, 0, 1 },
	{ CKA_DECRYPT, K_BOOL, 0, 1 },
	{ CKA_UNWRAP, K_BOOL, 0, 1 },
	{ CKA_SENSITIVE, K_BOOL, 0, 1 },
	{ CKA_EXTRACTABLE, K_BOOL, 0, 1 },
	{ CKA_ALWAYS_AUTHENTICATE, K_BOOL, 0, 1 },
	{ CKA_WRAP_WITH_TRUSTED, K_BOOL, 0, 1 },
	{ CKA_EC_POINT, K_RO, 1, 1 },
	{ CKA_VALUE, K_RO, 1, 1 },
	{ CKA_LOCAL, K_RO, 1, 1 },
	{ CKA_KEY_GEN_MECHANISM, K_RO, 1, 1 },
	{ CKA_ALWAYS_SENSITIVE, K_RO, 0, 1 },
	{ CKA_NEVER_EXTRACTABLE, K_RO, 0, 1 },
};

/* Applies a GenerateKeyPair template over the defaults in a. */
static CK_RV apply_template(tt_attrs *a, const CK_ATTRIBUTE *t, CK_ULONG n,
			    int is_pub)
{
	CK_ULONG i;
	size_t r;
	CK_OBJECT_CLASS want = is_pub ? CKO_PUBLIC_KEY : CKO_PRIVATE_KEY;

	if (t == NULL && n != 0)
		return CKR_ARGUMENTS_BAD;
	for (i = 0; i < n; i++) {
		const struct tmpl_rule *rule = NULL;
		CK_ULONG v;

		if (t[i].pValue == NULL && t[i].ulValueLen != 0)
			return CKR_ATTRIBUTE_VALUE_INVALID;
		for (r = 0; r < sizeof(rules) / sizeof(rules[0]); r++) {
			if (rules[r].type == t[i].type) {
				rule = &rules[r];
				break;
			}
		}
		if (rule == NULL || !(is_pub ? rule->pub : rule->priv))
			return CKR_ATTRIBUTE_TYPE_INVALID;
		switch (rule->kind) {
		case K_RO:
			return CKR_ATTRIBUTE_READ_ONLY;
		case K_BOOL:
			if (t[i].ulValueLen != sizeof(CK_BBOOL))
				return CKR_ATTRIBUTE_VALUE_INVALID;
			if (tt_attrs_set_bool(a, t[i].type,
					      *(CK_BBOOL *)t[i].pValue) != 0)
				return CKR_HOST_MEMORY;
			break;
		case K_CLASS:
		case K_KEYTYPE:
			if (t[i].ulValueLen != sizeof(CK_ULONG))
				return CKR_ATTRIBUTE_VALUE_INVALID;
			memcpy(&v, t[i].pValue, sizeof(v));
			if (rule->kind == K_CLASS && v != want)
				return CKR_TEMPLATE_INCONSISTENT;
			if (rule->kind == K_KEYTYPE && v != CKK_IBM_SM2)
				return CKR_TEMPLATE_INCONSISTENT;
			break;
		case K_PARAMS:
			if (t[i].ulValueLen != sizeof(tt_sm2_oid_der) ||
			    memcmp(t[i].pValue, tt_sm2_oid_der,
				   sizeof(tt_sm2_oid_der)) != 0)
				return CKR_CURVE_NOT_SUPPORTED;
			break;
		default:
			if (tt_attrs_set(a, t[i].type, t[i].pValue,
					 t[i].ulValueLen) != 0)
				return CKR_HOST_MEMORY;
		}
	}
	return CKR_OK;
}

static int common_defaults(tt_attrs *a, CK_OBJECT_CLASS cls)
{
	int e = 0;

	e |= tt_attrs_set_ulong(a, CKA_CLASS, cls);
	e |= tt_attrs_set_ulong(a, CKA_KEY_TYPE, CKK_IBM_SM2);
	e |= tt_attrs_set_bool(a, CKA_TOKEN, 0);
	e |= tt_attrs_set_bool(a, CKA_PRIVATE, cls == CKO_PRIVATE_KEY);
	e |= tt_attrs_set_bool(a, CKA_MODIFIABLE, 1);
	e |= tt_attrs_set_bool(a, CKA_COPYABLE, 0);
	e |= tt_attrs_set_bool(a, CKA_DESTROYABLE, 1);
	e |= tt_attrs_set(a, CKA_LABEL, NULL, 0);
	e |= tt_attrs_set(a, CKA_ID, NULL, 0);
	e |= tt_attrs_set(a, CKA_SUBJECT, NULL, 0);
	e |= tt_attrs_set(a, CKA_START_DATE, NULL, 0);
	e |= tt_attrs_set(a, CKA_END_DATE, NULL, 0);
	e |= tt_attrs_set_bool(a, CKA_DERIVE, 0);
	e |= tt_attrs_set_bool(a, CKA_LOCAL, 1);
	e |= tt_attrs_set_ulong(a, CKA_KEY_GEN_MECHANISM,
				CKM_IBM_SM2_KEY_PAIR_GEN);
	if (cls == CKO_PUBLIC_KEY) {
		e |= tt_attrs_set_bool(a, CKA_VERIFY, 1);
		e |= tt_attrs_set_bool(a, CKA_VERIFY_RECOVER, 0);
		e |= tt_attrs_set_bool(a, CKA_ENCRYPT, 0);
		e |= tt_attrs_set_bool(a, CKA_WRAP, 0);
		e |= tt_attrs_set_bool(a, CKA_TRUSTED, 0);
	} else {
		e |= tt_attrs_set_bool(a, CKA_SIGN, 1);
		e |= tt_attrs_set_bool(a, CKA_SIGN_RECOVER, 0);
		e |= tt_attrs_set_bool(a, CKA_DECRYPT, 0);
		e |= tt_attrs_set_bool(a, CKA_UNWRAP, 0);
		e |= tt_attrs_set_bool(a, CKA_SENSITIVE, 1);
		e |= tt_attrs_set_bool(a, CKA_EXTRACTABLE, 0);
		e |= tt_attrs_set_bool(a, CKA_ALWAYS_AUTHENTICATE, 0);
		e |= tt_attrs_set_bool(a, CKA_WRAP_WITH_TRUSTED, 0);
	}
	return e;
}

static int key_material(tt_attrs *a, const unsigned char pub[65])
{
	unsigned char pt[67];

	pt[0] = 0x04; /* OCTET STRING */
	pt[1] = 65;
	memcpy(pt + 2, pub, 65);
	return tt_attrs_set(a, CKA_EC_PARAMS, tt_sm2_oid_der,
			    sizeof(tt_sm2_oid_der)) |
	       tt_attrs_set(a, CKA_EC_POINT, pt, sizeof(pt));
}

static tt_object *new_object(tt_attrs *a, tt_session *s)
{
	tt_object *o = calloc(1, sizeof(*o));

	if (o == NULL)
		return NULL;
	if (tt_random(o->uid, sizeof(o->uid)) != 0) {
		free(o);
		return NULL;
	}
	o->on_token = tt_attrs_get_bool(a, CKA_TOKEN, 0);
	o->owner = s->handle;
	o->attrs = *a;
	memset(a, 0, sizeof(*a));
	return o;
}

CK_RV C_GenerateKeyPair(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMech,
			CK_ATTRIBUTE_PTR pPubTmpl, CK_ULONG ulPubCount,
			CK_ATTRIBUTE_PTR pPrivTmpl, CK_ULONG ulPrivCount,
			CK_OBJECT_HANDLE_PTR phPub, CK_OBJECT_HANDLE_PTR phPriv)
{
	tt_attrs pa = { 0 }, ka = { 0 };
	tt_session *s;
	tt_object *po = NULL, *ko = NULL;
	unsigned char d[32], pub[65];
	int any_token, any_private;
	CK_RV rv = tt_lock_sync();

	if (rv != CKR_OK)
		return rv;
	rv = tt_session_get(hSession, &s);
	if (rv != CKR_OK)
		goto out;
	if (pMech == NULL || phPub == NULL || phPriv == NULL) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	if (pMech->mechanism != CKM_IBM_SM2_KEY_PAIR_GEN) {
		rv = CKR_MECHANISM_INVALID;
		goto out;
	}
	if (pMech->pParameter != NULL || pMech->ulParameterLen != 0) {
		rv = CKR_MECHANISM_PARAM_INVALID;
		goto out;
	}
	if (common_defaults(&pa, CKO_PUBLIC_KEY) != 0 ||
	    common_defaults(&ka, CKO_PRIVATE_KEY) != 0) {
		rv = CKR_HOST_MEMORY;
		goto out;
	}
	rv = apply_template(&pa, pPubTmpl, ulPubCount, 1);
	if (rv == CKR_OK)
		rv = apply_template(&ka, pPrivTmpl, ulPrivCount, 0);
	if (rv != CKR_OK)
		goto out;
	any_token = tt_attrs_get_bool(&pa, CKA_TOKEN, 0) ||
		    tt_attrs_get_bool(&ka, CKA_TOKEN, 0);
	any_private = tt_attrs_get_bool(&pa, CKA_PRIVATE, 0) ||
		      tt_attrs_get_bool(&ka, CKA_PRIVATE, 0);
	if (any_token && !(s->flags & CKF_RW_SESSION)) {
		rv = CKR_SESSION_READ_ONLY;
		goto out;
	}
	if (any_private && tt_g.login != CKU_USER) {
		rv = CKR_USER_NOT_LOGGED_IN;
		goto out;
	}
	if (tt_sm2_generate(d, pub) != 0) {
		rv = CKR_FUNCTION_FAILED;
		goto out;
	}
	if (key_material(&pa, pub) != 0 || key_material(&ka, pub) != 0 ||
	    tt_attrs_set(&ka, CKA_VALUE, d, sizeof(d)) != 0 ||
	    tt_attrs_set_bool(&ka, CKA_ALWAYS_SENSITIVE,
			      tt_attrs_get_bool(&ka, CKA_SENSITIVE, 1)) != 0 ||
	    tt_attrs_set_bool(&ka, CKA_NEVER_EXTRACTABLE,
			      !tt_attrs_get_bool(&ka, CKA_EXTRACTABLE, 0)) != 0) {
		rv = CKR_HOST_MEMORY;
		goto out;
	}
	po = new_object(&pa, s);
	ko = new_object(&ka, s);
	if (po == NULL || ko == NULL) {
		rv = CKR_HOST_MEMORY;
		goto out;
	}
	po->handle = tt_g.next_object++;
	ko->handle = tt_g.next_object++;
	ko->next = tt_g.objects;
	po->next = ko;
	tt_g.objects = po;
	if (any_token) {
		rv = tt_save_locked();
		if (rv != CKR_OK) {
			tt_object_unlink(po);
			tt_object_unlink(ko);
			goto out;
		}
	}
	*phPub = po->handle;
	*phPriv = ko->handle;
	po = ko = NULL;
out:
	if (po != NULL)
		tt_object_free(po);
	if (ko != NULL)
		tt_object_free(ko);
	tt_attrs_free(&pa);
	tt_attrs_free(&ka);
	OPENSSL_cleanse(d, sizeof(d));
	tt_unlock();
	return rv;
}

CK_RV C_DestroyObject(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject)
{
	tt_session *s;
	tt_object *o;
	CK_RV rv = tt_lock_sync();

	if (rv != CKR_OK)
		return rv;
	rv = tt_session_get(hSession, &s);
	if (rv != CKR_OK)
		goto out;
	o = tt_object_find(hObject);
	if (o == NULL || !tt_object_visible(o)) {
		rv = CKR_OBJECT_HANDLE_INVALID;
		goto out;
	}
	if (o->on_token && !(s->flags & CKF_RW_SESSION)) {
		rv = CKR_SESSION_READ_ONLY;
		goto out;
	}
	if (!tt_attrs_get_bool(&o->attrs, CKA_DESTROYABLE, 1)) {
		rv = CKR_ACTION_PROHIBITED;
		goto out;
	}
	tt_object_unlink(o);
	if (o->on_token) {
		rv = tt_save_locked();
		if (rv != CKR_OK) {
			o->next = tt_g.objects;
			tt_g.objects = o;
			goto out;
		}
	}
	tt_object_free(o);
out:
	tt_unlock();
	return rv;
}

CK_RV C_GetAttributeValue(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject,
			  CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount)
{
	tt_session *s;
	tt_object *o;
	CK_ULONG i;
	CK_RV rv = tt_lock_sync();

	if (rv != CKR_OK)
		return rv;
	rv = tt_session_get(hSession, &s);
	if (rv != CKR_OK)
		goto out;
	if (pTemplate == NULL && ulCount != 0) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	o = tt_object_find(hObject);
	if (o == NULL || !tt_object_visible(o)) {
		rv = CKR_OBJECT_HANDLE_INVALID;
		goto out;
	}
	for (i = 0; i < ulCount; i++) {
		CK_ATTRIBUTE *t = &pTemplate[i];
		const tt_attr *at;

		if (t->type == CKA_VALUE &&
		    tt_attrs_get_ulong(&o->attrs, CKA_CLASS, 0) ==
			    CKO_PRIVATE_KEY) {
			/* The private value never leaves the token. */
			t->ulValueLen = CK_UNAVAILABLE_INFORMATION;
			if (rv == CKR_OK)
				rv = CKR_ATTRIBUTE_SENSITIVE;
			continue;
		}
		at = tt_attrs_find(&o->attrs, t->type);
		if (at == NULL) {
			t->ulValueLen = CK_UNAVAILABLE_INFORMATION;
			if (rv == CKR_OK)
				rv = CKR_ATTRIBUTE_TYPE_INVALID;
			continue;
		}
		if (t->pValue == NULL) {
			t->ulValueLen = at->len;
			continue;
		}
		if (t->ulValueLen < at->len) {
			t->ulValueLen = CK_UNAVAILABLE_INFORMATION;
			if (rv == CKR_OK)
				rv = CKR_BUFFER_TOO_SMALL;
			continue;
		}
		if (at->len > 0)
			memcpy(t->pValue, at->val, at->len);
		t->ulValueLen = at->len;
	}
out:
	tt_unlock();
	return rv;
}

CK_RV C_FindObjectsInit(CK_SESSION_HANDLE hSession, CK_ATTRIBUTE_PTR pTemplate,
			CK_ULONG ulCount)
{
	tt_session *s;
	tt_object *o;
	size_t n = 0;
	CK_RV rv = tt_lock_sync();

	if (rv != CKR_OK)
		return rv;
	rv = tt_session_get(hSession, &s);
	if (rv != CKR_OK)
		goto out;
	if (pTemplate == NULL && ulCount != 0) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	if (s->find_active) {
		rv = CKR_OPERATION_ACTIVE;
		goto out;
	}
	for (o = tt_g.objects; o != NULL; o = o->next)
		n++;
	s->find_res = calloc(n ? n : 1, sizeof(CK_OBJECT_HANDLE));
	if (s->find_res == NULL) {
		rv = CKR_HOST_MEMORY;
		goto out;
	}
	s->find_n = s->find_pos = 0;
	for (o = tt_g.objects; o != NULL; o = o->next) {
		if (!tt_object_visible(o))
			continue;
		if (!tt_attrs_match(&o->attrs, pTemplate, ulCount))
			continue;
		s->find_res[s->find_n++] = o->handle;
	}
	/* Oldest first: the list is kept newest first. */
	for (n = 0; n < s->find_n / 2; n++) {
		CK_OBJECT_HANDLE h = s->find_res[n];

		s->find_res[n] = s->find_res[s->find_n - 1 - n];
		s->find_res[s->find_n - 1 - n] = h;
	}
	s->find_active = 1;
out:
	tt_unlock();
	return rv;
}

CK_RV C_FindObjects(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE_PTR phObject,
		    CK_ULONG ulMaxCount, CK_ULONG_PTR pulCount)
{
	tt_session *s;
	CK_ULONG k = 0;
	CK_RV rv = tt_lock_sync();

	if (rv != CKR_OK)
		return rv;
	rv = tt_session_get(hSession, &s);
	if (rv != CKR_OK)
		goto out;
	if (!s->find_active) {
		rv = CKR_OPERATION_NOT_INITIALIZED;
		goto out;
	}
	if (phObject == NULL || pulCount == NULL) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	while (k < ulMaxCount && s->find_pos < s->find_n)
		phObject[k++] = s->find_res[s->find_pos++];
	*pulCount = k;
out:
	tt_unlock();
	return rv;
}

CK_RV C_FindObjectsFinal(CK_SESSION_HANDLE hSession)
{
	tt_session *s;
	CK_RV rv = tt_lock_sync();

	if (rv != CKR_OK)
		return rv;
	rv = tt_session_get(hSession, &s);
	if (rv == CKR_OK && !s->find_active)
		rv = CKR_OPERATION_NOT_INITIALIZED;
	if (rv == CKR_OK) {
		free(s->find_res);
		s->find_res = NULL;
		s->find_n = s->find_pos = 0;
		s->find_active = 0;
	}
	tt_unlock();
	return rv;
}
