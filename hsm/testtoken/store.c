//go:build ignore

/*
 * store.c - the token file.
 *
 * Text format, one record per line, all binary values in lowercase hex:
 *
 *   sm2token 1
 *   instance <16 bytes>
 *   label <32 bytes>
 *   sopin <iterations> <salt> <pbkdf2-sha256>
 *   userpin <iterations> <salt> <pbkdf2-sha256>     (absent until C_InitPIN)
 *   object <16-byte uid>
 *   attr <attribute type, hex> <value, or - when empty>
 *   ...
 *   end
 *
 * An empty (zero-byte) file is a present but blank (uninitialized) token.
 * The file is always replaced atomically (temp file, fsync, rename).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sm2token.h"

static const char hexdig[] = "0123456789abcdef";

void tt_hex(const unsigned char *in, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hexdig[in[i] >> 4];
		out[2 * i + 1] = hexdig[in[i] & 15];
	}
	out[2 * n] = 0;
}

static int unhex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes exactly n bytes of hex from s (length slen). */
static int unhex_fixed(const char *s, size_t slen, unsigned char *out,
		       size_t n)
{
	size_t i;

	if (slen != 2 * n)
		return -1;
	for (i = 0; i < n; i++) {
		int h = unhex_digit(s[2 * i]), l = unhex_digit(s[2 * i + 1]);

		if (h < 0 || l < 0)
			return -1;
		out[i] = (unsigned char)(h << 4 | l);
	}
	return 0;
}

void tt_image_free(tt_image *img)
{
	tt_image_obj *o = img->objects, *next;

	while (o != NULL) {
		next = o->next;
		tt_attrs_free(&o->attrs);
		free(o);
		o = next;
	}
	OPENSSL_cleanse(img, sizeof(*img));
}

/* Splits a line into at most max fields separated by spaces. */
static int split(const char *line, size_t len, const char **f, size_t *fl,
		 int max)
{
	int n = 0;
	size_t i = 0;

	while (i < len) {
		size_t start;

		while (i < len && line[i] == ' ')
			i++;
		if (i >= len)
			break;
		if (n == max)
			return -1;
		start = i;
		while (i < len && line[i] != ' ')
			i++;
		f[n] = line + start;
		fl[n] = i - start;
		n++;
	}
	return n;
}

static int field_is(const char *f, size_t fl, const char *word)
{
	return strlen(word) == fl && memcmp(f, word, fl) == 0;
}

static int parse_ulong(const char *f, size_t fl, unsigned long *out)
{
	char buf[32];
	char *end;

	if (fl == 0 || fl >= sizeof(buf))
		return -1;
	memcpy(buf, f, fl);
	buf[fl] = 0;
	errno = 0;
	*out = strtoul(buf, &end, 16);
	if (errno != 0 || *end != 0)
		return -1;
	return 0;
}

static int parse_pin(const char **f, const size_t *fl, int n, tt_pin *p)
{
	unsigned long iter;

	if (n != 4 || parse_ulong(f[1], fl[1], &iter) != 0 || iter == 0 ||
	    iter > 10000000UL ||
	    unhex_fixed(f[2], fl[2], p->salt, sizeof(p->salt)) != 0 ||
	    unhex_fixed(f[3], fl[3], p->hash, sizeof(p->hash)) != 0)
		return -1;
	p->iter = (int)iter;
	p->set = 1;
	return 0;
}

/* Parses the file contents. Returns 0, or -1 if malformed. */
int tt_image_parse(const char *buf, size_t len, tt_image *img)
{
	size_t pos = 0;
	int lineno = 0, ended = 0, have_inst = 0, have_so = 0;
	tt_image_obj *cur = NULL, **tail = &img->objects;

	memset(img, 0, sizeof(*img));
	memset(img->label, ' ', sizeof(img->label));
	if (len == 0)
		return 0; /* blank token */
	while (pos < len) {
		const char *line = buf + pos, *f[4];
		size_t ll, fl[4];
		const char *nl = memchr(line, '\n', len - pos);
		int n;

		ll = nl ? (size_t)(nl - line) : len - pos;
		pos += ll + (nl ? 1 : 0);
		lineno++;
		if (ended)
			goto bad;
		n = split(line, ll, f, fl, 4);
		if (n < 0)
			goto bad;
		if (n == 0)
			continue;
		if (lineno == 1) {
			if (n != 2 || !field_is(f[0], fl[0], "sm2token") ||
			    !field_is(f[1], fl[1], "1"))
				goto bad;
		} else if (field_is(f[0], fl[0], "instance")) {
			if (n != 2 || unhex_fixed(f[1], fl[1], img->instance,
						  sizeof(img->instance)) != 0)
				goto bad;
			have_inst = 1;
		} else if (field_is(f[0], fl[0], "label")) {
			if (n != 2 || unhex_fixed(f[1], fl[1], img->label,
						  sizeof(img->label)) != 0)
				goto bad;
		} else if (field_is(f[0], fl[0], "sopin")) {
			if (parse_pin(f, fl, n, &img->so_pin) != 0)
				goto bad;
			have_so = 1;
		} else if (field_is(f[0], fl[0], "userpin")) {
			if (parse_pin(f, fl, n, &img->user_pin) != 0)
				goto bad;
		} else if (field_is(f[0], fl[0], "object")) {
			cur = calloc(1, sizeof(*cur));
			if (cur == NULL)
				goto bad;
			*tail = cur;
			tail = &cur->next;
			if (n != 2 || unhex_fixed(f[1], fl[1], cur->uid,
						  sizeof(cur->uid)) != 0)
				goto bad;
		} else if (field_is(f[0], fl[0], "attr")) {
			unsigned long type;
			unsigned char *val = NULL;
			size_t vlen = 0;
			int rc;

			if (cur == NULL || n != 3 ||
			    parse_ulong(f[1], fl[1], &type) != 0)
				goto bad;
			if (!field_is(f[2], fl[2], "-")) {
				if (fl[2] % 2 != 0)
					goto bad;
				vlen = fl[2] / 2;
				val = malloc(vlen);
				if (val == NULL ||
				    unhex_fixed(f[2], fl[2], val, vlen) != 0) {
					free(val);
					goto bad;
				}
			}
			rc = tt_attrs_set(&cur->attrs, type, val, vlen);
			if (val != NULL) {
				OPENSSL_cleanse(val, vlen);
				free(val);
			}
			if (rc != 0)
				goto bad;
		} else if (field_is(f[0], fl[0], "end")) {
			if (n != 1)
				goto bad;
			ended = 1;
		} else {
			goto bad;
		}
	}
	if (!ended || !have_inst || !have_so)
		goto bad;
	img->initialized = 1;
	return 0;
bad:
	fprintf(stderr, "sm2token: malformed token file (line %d)\n", lineno);
	tt_image_free(img);
	return -1;
}

static void fid_from_stat(struct tt_fileid *fid, const struct stat *st)
{
	fid->dev = st->st_dev;
	fid->ino = st->st_ino;
	fid->size = st->st_size;
	fid->mtime_sec = (long)st->st_mtim.tv_sec;
	fid->mtime_nsec = st->st_mtim.tv_nsec;
}

/*
 * Reads and parses the token file. Returns 0 on success, 1 if the file does
 * not exist, -1 on any other error. fid receives the identity of the file
 * that was read.
 */
int tt_read_file(const char *path, tt_image *img, struct tt_fileid *fid)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	int fd, ret = -1;

	memset(img, 0, sizeof(*img));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 1 : -1;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > 64L * 1024 * 1024)
		goto out;
	fid_from_stat(fid, &st);
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL)
		goto out;
	while (len < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + len, (size_t)st.st_size - len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	if (len != (size_t)st.st_size)
		goto out;
	ret = tt_image_parse(buf, len, img);
out:
	if (buf != NULL) {
		OPENSSL_cleanse(buf, len);
		free(buf);
	}
	close(fd);
	return ret;
}

typedef struct {
	char *p;
	size_t n, cap;
	int err;
} sbuf;

static void sb_put(sbuf *b, const char *s, size_t n)
{
	if (b->err)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t ncap = b->cap ? b->cap : 4096;
		char *np;

		while (b->n + n + 1 > ncap)
			ncap *= 2;
		np = realloc(b->p, ncap);
		if (np == NULL) {
			b->err = 1;
			return;
		}
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = 0;
}

static void sb_str(sbuf *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

static void sb_hex(sbuf *b, const unsigned char *v, size_t n)
{
	char tmp[129];

	while (n > 0) {
		size_t k = n > 64 ? 64 : n;

		tt_hex(v, k, tmp);
		sb_put(b, tmp, 2 * k);
		v += k;
		n -= k;
	}
}

static void sb_pin(sbuf *b, const char *name, const tt_pin *p)
{
	char num[32];

	if (!p->set)
		return;
	snprintf(num, sizeof(num), " %x ", p->iter);
	sb_str(b, name);
	sb_str(b, num);
	sb_hex(b, p->salt, sizeof(p->salt));
	sb_str(b, " ");
	sb_hex(b, p->hash, sizeof(p->hash));
	sb_str(b, "\n");
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Replaces the token file atomically. fid receives the new file's identity. */
int tt_write_file(const char *path, const tt_image *img, struct tt_fileid *fid)
{
	sbuf b = { 0 };
	const tt_image_obj *o;
	char *tmp = NULL, *dir = NULL, *slash;
	struct stat st;
	int fd = -1, dfd, ret = -1;
	size_t i, plen = strlen(path);

	sb_str(&b, "sm2token 1\ninstance ");
	sb_hex(&b, img->instance, sizeof(img->instance));
	sb_str(&b, "\nlabel ");
	sb_hex(&b, img->label, sizeof(img->label));
	sb_str(&b, "\n");
	sb_pin(&b, "sopin", &img->so_pin);
	sb_pin(&b, "userpin", &img->user_pin);
	for (o = img->objects; o != NULL; o = o->next) {
		sb_str(&b, "object ");
		sb_hex(&b, o->uid, sizeof(o->uid));
		sb_str(&b, "\n");
		for (i = 0; i < o->attrs.n; i++) {
			char num[40];

			snprintf(num, sizeof(num), "attr %lx ",
				 (unsigned long)o->attrs.v[i].type);
			sb_str(&b, num);
			if (o->attrs.v[i].len == 0)
				sb_str(&b, "-");
			else
				sb_hex(&b, o->attrs.v[i].val,
				       o->attrs.v[i].len);
			sb_str(&b, "\n");
		}
	}
	sb_str(&b, "end\n");
	if (b.err)
		goto out;

	tmp = malloc(plen + 16);
	dir = strdup(path);
	if (tmp == NULL || dir == NULL)
		goto out;
	snprintf(tmp, plen + 16, "%s.tmp.XXXXXX", path);
	fd = mkstemp(tmp);
	if (fd < 0) {
		fprintf(stderr, "sm2token: cannot create %s: %s\n", tmp,
			strerror(errno));
		free(tmp);
		tmp = NULL;
		goto out;
	}
	if (fchmod(fd, 0600) != 0 || write_all(fd, b.p, b.n) != 0 ||
	    fsync(fd) != 0 || fstat(fd, &st) != 0) {
		fprintf(stderr, "sm2token: cannot write %s: %s\n", tmp,
			strerror(errno));
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		fprintf(stderr, "sm2token: cannot rename %s to %s: %s\n", tmp,
			path, strerror(errno));
		goto out;
	}
	free(tmp);
	tmp = NULL;
	fid_from_stat(fid, &st);
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = 0;
	else if (slash != NULL)
		*slash = 0;
	else
		strcpy(dir, ".");
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	if (tmp != NULL) {
		unlink(tmp);
		free(tmp);
	}
	free(dir);
	if (b.p != NULL) {
		OPENSSL_cleanse(b.p, b.n);
		free(b.p);
	}
	return ret;
}
