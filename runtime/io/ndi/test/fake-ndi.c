/*
 * A stand-in for the NDI runtime library (libndi.so.6), for tests only. It exports the subset
 * of NDI's C API Patchbay binds, with the SDK's struct layouts, and behaves like a loopback
 * network: a frame sent by a sender named N is recorded and served to receivers connected to
 * the source "FAKE-HOST (N)". Tests can also queue frames for receivers and list extra sources.
 * fake_* functions let the test look inside. Single process, a mutex around everything.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct NDIlib_source_t { const char *p_ndi_name; const char *p_url_address; } NDIlib_source_t;
typedef struct NDIlib_find_create_t { bool show_local_sources; const char *p_groups; const char *p_extra_ips; } NDIlib_find_create_t;
typedef struct NDIlib_recv_create_v3_t {
  NDIlib_source_t source_to_connect_to;
  int color_format;
  int bandwidth;
  bool allow_video_fields;
  const char *p_ndi_recv_name;
} NDIlib_recv_create_v3_t;
typedef struct NDIlib_video_frame_v2_t {
  int xres, yres;
  uint32_t FourCC;
  int frame_rate_N, frame_rate_D;
  float picture_aspect_ratio;
  int frame_format_type;
  int64_t timecode;
  uint8_t *p_data;
  union { int line_stride_in_bytes; int data_size_in_bytes; };
  const char *p_metadata;
  int64_t timestamp;
} NDIlib_video_frame_v2_t;
typedef struct NDIlib_send_create_t { const char *p_ndi_name; const char *p_groups; bool clock_video; bool clock_audio; } NDIlib_send_create_t;

#define MAXQ 64
#define MAXS 16
typedef struct { NDIlib_video_frame_v2_t hdr; size_t size; char source[256]; } qframe;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int initialized, n_init, n_finders, n_recvs, n_senders, outstanding_video, n_sent;
static qframe queue[MAXQ];
static int qlen;
static qframe last_sent;
static char sources[MAXS][256];
static int n_sources;
static char last_recv_source[256], last_recv_name[256];
static int last_color_format = -1;
static NDIlib_source_t current[MAXS + 8];
static char current_names[MAXS + 8][256];

typedef struct { char name[256]; } sender_t;
typedef struct { char source[256]; } recv_t;

static void copy_str(char *dst, const char *src) {
  snprintf(dst, 256, "%s", src ? src : "");
}

bool NDIlib_initialize(void) { pthread_mutex_lock(&mu); initialized = 1; n_init++; pthread_mutex_unlock(&mu); return true; }
void NDIlib_destroy(void) { pthread_mutex_lock(&mu); initialized = 0; pthread_mutex_unlock(&mu); }

void *NDIlib_find_create_v2(const NDIlib_find_create_t *p) {
  (void)p;
  pthread_mutex_lock(&mu); n_finders++; pthread_mutex_unlock(&mu);
  return malloc(8);
}
bool NDIlib_find_wait_for_sources(void *f, uint32_t timeout) { (void)f; (void)timeout; return true; }
const NDIlib_source_t *NDIlib_find_get_current_sources(void *f, uint32_t *count) {
  (void)f;
  pthread_mutex_lock(&mu);
  int n = 0;
  for (int i = 0; i < n_sources; i++) {
    copy_str(current_names[n], sources[i]);
    current[n].p_ndi_name = current_names[n];
    current[n].p_url_address = "127.0.0.1:5961";
    n++;
  }
  *count = (uint32_t)n;
  pthread_mutex_unlock(&mu);
  return current;
}
void NDIlib_find_destroy(void *f) { pthread_mutex_lock(&mu); n_finders--; pthread_mutex_unlock(&mu); free(f); }

void *NDIlib_recv_create_v3(const NDIlib_recv_create_v3_t *p) {
  recv_t *r = calloc(1, sizeof(recv_t));
  pthread_mutex_lock(&mu);
  copy_str(r->source, p->source_to_connect_to.p_ndi_name);
  copy_str(last_recv_source, p->source_to_connect_to.p_ndi_name);
  copy_str(last_recv_name, p->p_ndi_recv_name);
  last_color_format = p->color_format;
  n_recvs++;
  pthread_mutex_unlock(&mu);
  return r;
}

/* 0 none, 1 video, 4 error. Takes the oldest queued frame for this receiver's source. */
int NDIlib_recv_capture_v3(void *inst, NDIlib_video_frame_v2_t *video, void *audio, void *meta, uint32_t timeout) {
  (void)audio; (void)meta;
  recv_t *r = inst;
  if (!r) return 4;
  for (int waited = 0;; waited += 5) {
    pthread_mutex_lock(&mu);
    for (int i = 0; i < qlen; i++) {
      if (strcmp(queue[i].source, r->source) == 0) {
        if (video) {
          *video = queue[i].hdr; /* hands the frame's buffer to the caller */
          outstanding_video++;
        } else {
          free(queue[i].hdr.p_data);
        }
        memmove(&queue[i], &queue[i + 1], sizeof(qframe) * (size_t)(qlen - i - 1));
        qlen--;
        pthread_mutex_unlock(&mu);
        return 1;
      }
    }
    pthread_mutex_unlock(&mu);
    if ((uint32_t)waited >= timeout) return 0;
    struct timespec ts = {0, 5 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
}
void NDIlib_recv_free_video_v2(void *inst, const NDIlib_video_frame_v2_t *video) {
  (void)inst;
  pthread_mutex_lock(&mu);
  outstanding_video--;
  pthread_mutex_unlock(&mu);
  free(video->p_data);
}
void NDIlib_recv_destroy(void *inst) { pthread_mutex_lock(&mu); n_recvs--; pthread_mutex_unlock(&mu); free(inst); }

static size_t frame_bytes(const NDIlib_video_frame_v2_t *v) {
  /* I420/NV12/YV12 store height*1.5 rows of the luma stride. */
  if (v->FourCC == 0x30323449u || v->FourCC == 0x3231564eu || v->FourCC == 0x32315659u)
    return (size_t)v->line_stride_in_bytes * (size_t)v->yres * 3 / 2;
  return (size_t)v->line_stride_in_bytes * (size_t)v->yres;
}

static void enqueue(const char *source, const NDIlib_video_frame_v2_t *v) {
  if (qlen == MAXQ) { free(queue[0].hdr.p_data); memmove(&queue[0], &queue[1], sizeof(qframe) * (MAXQ - 1)); qlen--; }
  qframe *q = &queue[qlen++];
  q->hdr = *v;
  q->size = frame_bytes(v);
  q->hdr.p_data = malloc(q->size);
  memcpy(q->hdr.p_data, v->p_data, q->size);
  q->hdr.p_metadata = NULL;
  copy_str(q->source, source);
}

void *NDIlib_send_create(const NDIlib_send_create_t *p) {
  sender_t *s = calloc(1, sizeof(sender_t));
  pthread_mutex_lock(&mu);
  snprintf(s->name, 256, "FAKE-HOST (%s)", p && p->p_ndi_name ? p->p_ndi_name : "");
  if (n_sources < MAXS) copy_str(sources[n_sources++], s->name);
  n_senders++;
  pthread_mutex_unlock(&mu);
  return s;
}
void NDIlib_send_send_video_v2(void *inst, const NDIlib_video_frame_v2_t *v) {
  sender_t *s = inst;
  pthread_mutex_lock(&mu);
  if (last_sent.hdr.p_data) free(last_sent.hdr.p_data);
  last_sent.hdr = *v;
  last_sent.size = frame_bytes(v);
  last_sent.hdr.p_data = malloc(last_sent.size);
  memcpy(last_sent.hdr.p_data, v->p_data, last_sent.size);
  n_sent++;
  enqueue(s->name, v);
  pthread_mutex_unlock(&mu);
}
void NDIlib_send_destroy(void *inst) {
  sender_t *s = inst;
  pthread_mutex_lock(&mu);
  for (int i = 0; i < n_sources; i++)
    if (strcmp(sources[i], s->name) == 0) { memmove(&sources[i], &sources[i + 1], 256 * (size_t)(n_sources - i - 1)); n_sources--; break; }
  n_senders--;
  pthread_mutex_unlock(&mu);
  free(inst);
}

/* ---- test-only inspection and injection ---- */
int fake_counter(const char *what) {
  pthread_mutex_lock(&mu);
  int v = -1;
  if (!strcmp(what, "init")) v = n_init;
  else if (!strcmp(what, "initialized")) v = initialized;
  else if (!strcmp(what, "finders")) v = n_finders;
  else if (!strcmp(what, "receivers")) v = n_recvs;
  else if (!strcmp(what, "senders")) v = n_senders;
  else if (!strcmp(what, "outstanding_video")) v = outstanding_video;
  else if (!strcmp(what, "sent")) v = n_sent;
  else if (!strcmp(what, "queued")) v = qlen;
  else if (!strcmp(what, "color_format")) v = last_color_format;
  pthread_mutex_unlock(&mu);
  return v;
}
const char *fake_last_recv_source(void) { return last_recv_source; }
const char *fake_last_recv_name(void) { return last_recv_name; }
/* The last sent frame's header; its bytes are copied into out (up to cap). Returns the byte count. */
int fake_last_sent(NDIlib_video_frame_v2_t *hdr, uint8_t *out, int cap) {
  pthread_mutex_lock(&mu);
  *hdr = last_sent.hdr;
  int n = (int)last_sent.size < cap ? (int)last_sent.size : cap;
  if (last_sent.hdr.p_data) memcpy(out, last_sent.hdr.p_data, (size_t)n);
  hdr->p_data = NULL;
  pthread_mutex_unlock(&mu);
  return n;
}
void fake_add_source(const char *name) {
  pthread_mutex_lock(&mu);
  if (n_sources < MAXS) copy_str(sources[n_sources++], name);
  pthread_mutex_unlock(&mu);
}
void fake_queue_frame(const char *source, uint32_t fourcc, int w, int h, int stride, const uint8_t *data) {
  NDIlib_video_frame_v2_t v;
  memset(&v, 0, sizeof v);
  v.xres = w; v.yres = h; v.FourCC = fourcc; v.frame_rate_N = 30000; v.frame_rate_D = 1000;
  v.frame_format_type = 1; v.line_stride_in_bytes = stride; v.p_data = (uint8_t *)data;
  pthread_mutex_lock(&mu);
  enqueue(source, &v);
  pthread_mutex_unlock(&mu);
}
int fake_sizeof_video_frame(void) { return (int)sizeof(NDIlib_video_frame_v2_t); }
int fake_sizeof_recv_create(void) { return (int)sizeof(NDIlib_recv_create_v3_t); }
