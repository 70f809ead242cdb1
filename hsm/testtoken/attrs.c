//go:build ignore

/*
 * attrs.c - attribute lists of token objects.
 */
#include <stdlib.h>
#include <string.h>

#include "sm2token.h"

void tt_attrs_free(tt_attrs *a)
{
	size_t i;

	for (i = 0; i < a->n; i++) {
		if (a->v[i].val != NULL) {
			memset(a->v[i].val, 0, a->v[i].len);
			free(a->v[i].val);
		}
	}
	free(a->v);
	a->v = NULL;
	a->n = a->cap = 0;
}

tt_attr *tt_attrs_find(const tt_attrs *a, CK_ATTRIBUTE_TYPE type)
{
	size_t i;

	for (i = 0; i < a->n; i++) {
		if (a->v[i].type == type)
			return &a->v[i];
	}
	return NULL;
}

/* Sets (adds or replaces) an attribute. Returns 0 on success, -1 on ENOMEM. */
int tt_attrs_set(tt_attrs *a, CK_ATTRIBUTE_TYPE type, const void *val,
		 CK_ULONG len)
{
	unsigned char *copy = NULL;
	tt_attr *at;

	if (len > 0) {
		copy = malloc(len);
		if (copy == NULL)
			return -1;
		memcpy(copy, val, len);
	}
	at = tt_attrs_find(a, type);
	if (at == NULL) {
		if (a->n == a->cap) {
			size_t ncap = a->cap ? a->cap * 2 : 16;
			tt_attr *nv = realloc(a->v, ncap * sizeof(*nv));

			if (nv == NULL) {
				free(copy);
				return -1;
			}
			a->v = nv;
			a->cap = ncap;
		}
		at = &a->v[a->n++];
		at->type = type;
	} else if (at->val != NULL) {
		memset(at->val, 0, at->len);
		free(at->val);
	}
	at->val = copy;
	at->len = len;
	return 0;
}

int tt_attrs_set_bool(tt_attrs *a, CK_ATTRIBUTE_TYPE type, int v)
{
	CK_BBOOL b = v ? CK_TRUE : CK_FALSE;

	return tt_attrs_set(a, type, &b, sizeof(b));
}

int tt_attrs_set_ulong(tt_attrs *a, CK_ATTRIBUTE_TYPE type, CK_ULONG v)
{
	return tt_attrs_set(a, type, &v, sizeof(v));
}

int tt_attrs_get_bool(const tt_attrs *a, CK_ATTRIBUTE_TYPE type, int dflt)
{
	const tt_attr *at = tt_attrs_find(a, type);

	if (at == NULL || at->len != sizeof(CK_BBOOL))
		return dflt;
	return at->val[0] != CK_FALSE;
}

CK_ULONG tt_attrs_get_ulong(const tt_attrs *a, CK_ATTRIBUTE_TYPE type,
			    CK_ULONG dflt)
{
	const tt_attr *at = tt_attrs_find(a, type);
	CK_ULONG v;

	if (at == NULL || at->len != sizeof(CK_ULONG))
		return dflt;
	memcpy(&v, at->val, sizeof(v));
	return v;
}

/* Reports whether both lists hold the same value (or both lack) type. */
int tt_attrs_equal_value(const tt_attrs *a, CK_ATTRIBUTE_TYPE type,
			 const tt_attrs *b)
{
	const tt_attr *x = tt_attrs_find(a, type), *y = tt_attrs_find(b, type);

	if (x == NULL || y == NULL)
		return x == y;
	return x->len == y->len &&
	       (x->len == 0 || memcmp(x->val, y->val, x->len) == 0);
}

/*
 * Reports whether every attribute of the template is present in the list
 * with the same value (byte comparison).
 */
int tt_attrs_match(const tt_attrs *a, const CK_ATTRIBUTE *tmpl, CK_ULONG n)
{
	CK_ULONG i;

	for (i = 0; i < n; i++) {
		const tt_attr *at = tt_attrs_find(a, tmpl[i].type);

		if (at == NULL)
			return 0;
		if (at->len != tmpl[i].ulValueLen)
			return 0;
		if (at->len == 0)
			continue;
		if (tmpl[i].pValue == NULL ||
		    memcmp(at->val, tmpl[i].pValue, at->len) != 0)
			return 0;
	}
	return 1;
}
