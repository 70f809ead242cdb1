//go:build ignore

/*
 * state.c - the module's global state: the token as last read from
 * SM2TOKEN_FILE, the objects, the sessions, and the detection of a removed
 * or re-initialised token.
 *
 * Locking: tt_lock guards everything in tt_g and the session list, the
 * sessions' reference counts and find state. A session's signing state is
 * guarded by that session's op_lock, which is taken before tt_lock, never
 * while holding it, so that signatures are computed without the global lock.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>

#include "sm2token.h"

tt_state tt_g;
pthread_mutex_t tt_lock = PTHREAD_MUTEX_INITIALIZER;

/* Identity of a file that failed to parse, to avoid re-reading it. */
static int have_bad;
static struct tt_fileid bad_fid;

static void fid_of(const struct stat *st, struct tt_fileid *f)
{
	f->dev = st->st_dev;
	f->ino = st->st_ino;
	f->size = st->st_size;
	f->mtime_sec = (long)st->st_mtim.tv_sec;
	f->mtime_nsec = st->st_mtim.tv_nsec;
}

static int fid_eq(const struct tt_fileid *a, const struct tt_fileid *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime_sec == b->mtime_sec && a->mtime_nsec == b->mtime_nsec;
}

static void session_free(tt_session *s)
{
	free(s->find_res);
	EVP_PKEY_free(s->sign_key);
	EVP_MD_CTX_free(s->sign_md);
	pthread_mutex_destroy(&s->op_lock);
	free(s);
}

void tt_object_free(tt_object *o)
{
	tt_attrs_free(&o->attrs);
	EVP_PKEY_free(o->pkey);
	free(o);
}

void tt_object_unlink(tt_object *o)
{
	tt_object **pp;

	for (pp = &tt_g.objects; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == o) {
			*pp = o->next;
			o->next = NULL;
			return;
		}
	}
}

/* Destroys the session objects of one session (owner != 0) or of all. */
static void drop_session_objects(CK_SESSION_HANDLE owner)
{
	tt_object **pp = &tt_g.objects;

	while (*pp != NULL) {
		tt_object *o = *pp;

		if (!o->on_token && (owner == 0 || o->owner == owner)) {
			*pp = o->next;
			tt_object_free(o);
		} else {
			pp = &o->next;
		}
	}
}

void tt_drop_all_objects(void)
{
	while (tt_g.objects != NULL) {
		tt_object *o = tt_g.objects;

		tt_g.objects = o->next;
		tt_object_free(o);
	}
}

/* Removes a session from the list; it is freed once no call uses it. */
void tt_session_unlink_locked(tt_session *s)
{
	tt_session **pp;

	for (pp = &tt_g.sessions; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	}
	s->next = NULL;
	drop_session_objects(s->handle);
	free(s->find_res);
	s->find_res = NULL;
	s->find_active = 0;
	s->closed = 1;
	if (s->refs == 0)
		session_free(s);
}

void tt_drop_all_sessions(void)
{
	while (tt_g.sessions != NULL)
		tt_session_unlink_locked(tt_g.sessions);
	tt_g.login = TT_NO_USER;
}

size_t tt_session_count(int rw_only)
{
	size_t n = 0;
	tt_session *s;

	for (s = tt_g.sessions; s != NULL; s = s->next) {
		if (s->dead != CKR_OK)
			continue;
		if (rw_only && !(s->flags & CKF_RW_SESSION))
			continue;
		n++;
	}
	return n;
}

/* The token file disappeared: every open session is dead. */
static void token_removed(void)
{
	tt_session *s;

	tt_g.present = 0;
	tt_g.have_id = 0;
	for (s = tt_g.sessions; s != NULL; s = s->next) {
		if (s->dead == CKR_OK)
			s->dead = CKR_DEVICE_REMOVED;
		free(s->find_res);
		s->find_res = NULL;
		s->find_active = 0;
	}
	drop_session_objects(0);
	tt_g.login = TT_NO_USER;
}

/* Takes over what was read from the file. */
static void apply_image(tt_image *img, const struct tt_fileid *fid)
{
	tt_image_obj *io;
	tt_object **pp;
	int same = tt_g.tok_init && img->initialized &&
		   memcmp(tt_g.instance, img->instance,
			  sizeof(tt_g.instance)) == 0;

	if (!same) {
		/* A different token (re-initialised): nothing survives. */
		tt_drop_all_sessions();
		tt_drop_all_objects();
		tt_g.login = TT_NO_USER;
	}
	tt_g.tok_init = img->initialized;
	memcpy(tt_g.instance, img->instance, sizeof(tt_g.instance));
	memcpy(tt_g.label, img->label, sizeof(tt_g.label));
	tt_g.so_pin = img->so_pin;
	tt_g.user_pin = img->user_pin;
	tt_g.present = 1;
	tt_g.have_id = 1;
	tt_g.fid = *fid;
	have_bad = 0;

	/* Token objects gone from the file were destroyed elsewhere. */
	pp = &tt_g.objects;
	while (*pp != NULL) {
		tt_object *o = *pp;
		int found = 0;

		if (o->on_token) {
			for (io = img->objects; io != NULL; io = io->next) {
				if (memcmp(io->uid, o->uid, sizeof(o->uid)) == 0) {
					found = 1;
					break;
				}
			}
		}
		if (o->on_token && !found) {
			*pp = o->next;
			tt_object_free(o);
		} else {
			pp = &o->next;
		}
	}
	/* Update known objects (keeping their handles), add new ones. */
	for (io = img->objects; io != NULL; io = io->next) {
		tt_object *o;
		tt_attrs tmp;

		for (o = tt_g.objects; o != NULL; o = o->next) {
			if (o->on_token &&
			    memcmp(io->uid, o->uid, sizeof(o->uid)) == 0)
				break;
		}
		if (o == NULL) {
			o = calloc(1, sizeof(*o));
			if (o == NULL)
				continue;
			o->handle = tt_g.next_object++;
			memcpy(o->uid, io->uid, sizeof(o->uid));
			o->on_token = 1;
			o->next = tt_g.objects;
			tt_g.objects = o;
		} else if (!tt_attrs_equal_value(&o->attrs, CKA_VALUE,
						 &io->attrs) ||
			   !tt_attrs_equal_value(&o->attrs, CKA_EC_POINT,
						 &io->attrs)) {
			EVP_PKEY_free(o->pkey);
			o->pkey = NULL;
		}
		tmp = o->attrs;
		o->attrs = io->attrs;
		io->attrs = tmp;
	}
}

static void reload(const struct tt_fileid *seen)
{
	tt_image img;
	struct tt_fileid fid;
	int r = tt_read_file(tt_g.path, &img, &fid);

	if (r == 0) {
		apply_image(&img, &fid);
		tt_image_free(&img);
		return;
	}
	if (tt_g.present)
		token_removed();
	if (r < 0 && seen != NULL) {
		have_bad = 1;
		bad_fid = *seen;
	}
}

/*
 * Brings the state in line with the token file. The stat() is done before
 * taking the lock; the file is re-read only when its identity changed.
 * On success returns CKR_OK with tt_lock held.
 */
CK_RV tt_lock_sync(void)
{
	struct stat st;
	struct tt_fileid seen;
	int have;

	/* tt_g.path only changes in C_Initialize/C_Finalize. */
	if (tt_g.path[0] == 0)
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	have = stat(tt_g.path, &st) == 0;
	if (have)
		fid_of(&st, &seen);
	pthread_mutex_lock(&tt_lock);
	if (!tt_g.initialized) {
		pthread_mutex_unlock(&tt_lock);
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	}
	if (!have) {
		if (tt_g.present)
			token_removed();
		have_bad = 0;
		return CKR_OK;
	}
	if (tt_g.present && tt_g.have_id && fid_eq(&seen, &tt_g.fid))
		return CKR_OK;
	if (!tt_g.present && have_bad && fid_eq(&seen, &bad_fid))
		return CKR_OK;
	reload(&seen);
	return CKR_OK;
}

void tt_unlock(void)
{
	pthread_mutex_unlock(&tt_lock);
}

/* Frees everything (C_Finalize). Called with tt_lock held. */
void tt_state_reset(void)
{
	tt_session *s;

	while (tt_g.sessions != NULL) {
		s = tt_g.sessions;
		tt_g.sessions = s->next;
		drop_session_objects(s->handle);
		session_free(s);
	}
	tt_drop_all_objects();
	memset(tt_g.path, 0, sizeof(tt_g.path));
	tt_g.initialized = 0;
	tt_g.present = 0;
	tt_g.have_id = 0;
	tt_g.tok_init = 0;
	OPENSSL_cleanse(&tt_g.so_pin, sizeof(tt_g.so_pin));
	OPENSSL_cleanse(&tt_g.user_pin, sizeof(tt_g.user_pin));
	memset(tt_g.instance, 0, sizeof(tt_g.instance));
	memset(tt_g.label, ' ', sizeof(tt_g.label));
	tt_g.login = TT_NO_USER;
	have_bad = 0;
}

/* Looks up a usable session. Called with tt_lock held. */
CK_RV tt_session_get(CK_SESSION_HANDLE h, tt_session **out)
{
	tt_session *s;

	for (s = tt_g.sessions; s != NULL; s = s->next) {
		if (s->handle == h) {
			if (s->dead != CKR_OK)
				return s->dead;
			*out = s;
			return CKR_OK;
		}
	}
	return CKR_SESSION_HANDLE_INVALID;
}

/* Takes a reference on a usable session, without keeping tt_lock. */
CK_RV tt_session_acquire(CK_SESSION_HANDLE h, tt_session **out)
{
	CK_RV rv = tt_lock_sync();

	if (rv != CKR_OK)
		return rv;
	rv = tt_session_get(h, out);
	if (rv == CKR_OK)
		(*out)->refs++;
	tt_unlock();
	return rv;
}

void tt_session_release(tt_session *s)
{
	pthread_mutex_lock(&tt_lock);
	s->refs--;
	if (s->refs == 0 && s->closed)
		session_free(s);
	pthread_mutex_unlock(&tt_lock);
}

tt_object *tt_object_find(CK_OBJECT_HANDLE h)
{
	tt_object *o;

	if (!tt_g.present)
		return NULL;
	for (o = tt_g.objects; o != NULL; o = o->next) {
		if (o->handle == h)
			return o;
	}
	return NULL;
}

int tt_object_private(const tt_object *o)
{
	return tt_attrs_get_bool(&o->attrs, CKA_PRIVATE, 1);
}

int tt_object_visible(const tt_object *o)
{
	return !tt_object_private(o) || tt_g.login == CKU_USER;
}

/* Writes the token (with its token objects) to the file. */
CK_RV tt_save_locked(void)
{
	tt_image img;
	tt_image_obj *nodes = NULL, **tail = &img.objects;
	tt_object *o;
	size_t n = 0, i = 0;
	struct tt_fileid fid;
	int r;

	if (!tt_g.tok_init)
		return CKR_TOKEN_NOT_RECOGNIZED; /* blank token: no storage */
	memset(&img, 0, sizeof(img));
	img.initialized = 1;
	memcpy(img.instance, tt_g.instance, sizeof(img.instance));
	memcpy(img.label, tt_g.label, sizeof(img.label));
	img.so_pin = tt_g.so_pin;
	img.user_pin = tt_g.user_pin;
	for (o = tt_g.objects; o != NULL; o = o->next)
		n += o->on_token;
	if (n > 0) {
		nodes = calloc(n, sizeof(*nodes));
		if (nodes == NULL)
			return CKR_HOST_MEMORY;
	}
	for (o = tt_g.objects; o != NULL; o = o->next) {
		if (!o->on_token)
			continue;
		memcpy(nodes[i].uid, o->uid, sizeof(o->uid));
		nodes[i].attrs = o->attrs; /* shallow; not freed here */
		*tail = &nodes[i];
		tail = &nodes[i].next;
		i++;
	}
	*tail = NULL;
	r = tt_write_file(tt_g.path, &img, &fid);
	free(nodes);
	OPENSSL_cleanse(&img, sizeof(img));
	if (r != 0)
		return CKR_DEVICE_ERROR;
	tt_g.fid = fid;
	tt_g.have_id = 1;
	tt_g.present = 1;
	return CKR_OK;
}
