#define _GNU_SOURCE
#include "gyre_shims.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

/* ---------- AMQP ---------- */

amqp_rpc_reply_t gyre_amqp_login_plain(amqp_connection_state_t conn,
                                       const char *vhost, int channel_max,
                                       int frame_max, int heartbeat,
                                       const char *user, const char *password,
                                       const char *connection_name) {
  amqp_table_entry_t caps[1];
  caps[0].key = amqp_cstring_bytes("consumer_cancel_notify");
  caps[0].value.kind = AMQP_FIELD_KIND_BOOLEAN;
  caps[0].value.value.boolean = 1;

  amqp_table_entry_t props[2];
  int n = 0;
  props[n].key = amqp_cstring_bytes("capabilities");
  props[n].value.kind = AMQP_FIELD_KIND_TABLE;
  props[n].value.value.table.num_entries = 1;
  props[n].value.value.table.entries = caps;
  n++;
  if (connection_name != NULL && connection_name[0] != '\0') {
    props[n].key = amqp_cstring_bytes("connection_name");
    props[n].value.kind = AMQP_FIELD_KIND_UTF8;
    props[n].value.value.bytes = amqp_cstring_bytes(connection_name);
    n++;
  }
  amqp_table_t table;
  table.num_entries = n;
  table.entries = props;
  return amqp_login_with_properties(conn, vhost, channel_max, frame_max,
                                    heartbeat, &table, AMQP_SASL_METHOD_PLAIN,
                                    user, password);
}

amqp_queue_declare_ok_t *gyre_amqp_queue_declare(amqp_connection_state_t conn,
                                                 amqp_channel_t channel,
                                                 const char *queue, int passive,
                                                 int durable, int exclusive,
                                                 int auto_delete,
                                                 int64_t message_ttl_ms) {
  amqp_table_entry_t entries[1];
  amqp_table_t args = amqp_empty_table;
  if (message_ttl_ms >= 0) {
    entries[0].key = amqp_cstring_bytes("x-message-ttl");
    entries[0].value.kind = AMQP_FIELD_KIND_I64;
    entries[0].value.value.i64 = message_ttl_ms;
    args.num_entries = 1;
    args.entries = entries;
  }
  return amqp_queue_declare(conn, channel, amqp_cstring_bytes(queue),
                            (amqp_boolean_t)passive, (amqp_boolean_t)durable,
                            (amqp_boolean_t)exclusive,
                            (amqp_boolean_t)auto_delete, args);
}

int gyre_amqp_exchange_declare(amqp_connection_state_t conn, amqp_channel_t channel,
                               const char *exchange, const char *type, int durable) {
  return amqp_exchange_declare(conn, channel, amqp_cstring_bytes(exchange),
                               amqp_cstring_bytes(type), 0, (amqp_boolean_t)durable,
                               0, 0, amqp_empty_table) != NULL;
}

int gyre_amqp_exchange_delete(amqp_connection_state_t conn, amqp_channel_t channel,
                              const char *exchange) {
  return amqp_exchange_delete(conn, channel, amqp_cstring_bytes(exchange), 0) != NULL;
}

int gyre_amqp_queue_bind(amqp_connection_state_t conn, amqp_channel_t channel,
                         const char *queue, const char *exchange, const char *routing_key) {
  return amqp_queue_bind(conn, channel, amqp_cstring_bytes(queue),
                         amqp_cstring_bytes(exchange), amqp_cstring_bytes(routing_key),
                         amqp_empty_table) != NULL;
}

int gyre_amqp_queue_delete(amqp_connection_state_t conn, amqp_channel_t channel,
                           const char *queue) {
  return amqp_queue_delete(conn, channel, amqp_cstring_bytes(queue), 0, 0) != NULL;
}

int gyre_amqp_basic_consume(amqp_connection_state_t conn, amqp_channel_t channel,
                            const char *queue, const char *consumer_tag) {
  return amqp_basic_consume(conn, channel, amqp_cstring_bytes(queue),
                            amqp_cstring_bytes(consumer_tag), 0, 0, 0,
                            amqp_empty_table) != NULL;
}

int gyre_amqp_basic_cancel(amqp_connection_state_t conn, amqp_channel_t channel,
                           const char *consumer_tag) {
  return amqp_basic_cancel(conn, channel, amqp_cstring_bytes(consumer_tag)) != NULL;
}

int gyre_amqp_publish(amqp_connection_state_t conn, amqp_channel_t channel,
                      const char *exchange, const char *routing_key,
                      const void *body, size_t body_len,
                      const char *message_id, const char *type,
                      int persistent, int mandatory) {
  amqp_basic_properties_t props;
  memset(&props, 0, sizeof(props));
  if (persistent) {
    props._flags |= AMQP_BASIC_DELIVERY_MODE_FLAG;
    props.delivery_mode = 2;
  }
  if (message_id != NULL) {
    props._flags |= AMQP_BASIC_MESSAGE_ID_FLAG;
    props.message_id = amqp_cstring_bytes(message_id);
  }
  if (type != NULL) {
    props._flags |= AMQP_BASIC_TYPE_FLAG;
    props.type = amqp_cstring_bytes(type);
  }
  amqp_bytes_t b;
  b.len = body_len;
  b.bytes = (void *)body;
  return amqp_basic_publish(conn, channel, amqp_cstring_bytes(exchange),
                            amqp_cstring_bytes(routing_key),
                            (amqp_boolean_t)mandatory, 0, &props, b);
}

amqp_bytes_t gyre_amqp_envelope_message_id(const amqp_envelope_t *envelope) {
  if (envelope->message.properties._flags & AMQP_BASIC_MESSAGE_ID_FLAG) {
    return envelope->message.properties.message_id;
  }
  return amqp_empty_bytes;
}

amqp_bytes_t gyre_amqp_envelope_type(const amqp_envelope_t *envelope) {
  if (envelope->message.properties._flags & AMQP_BASIC_TYPE_FLAG) {
    return envelope->message.properties.type;
  }
  return amqp_empty_bytes;
}

amqp_method_number_t gyre_amqp_method_basic_ack(void) { return AMQP_BASIC_ACK_METHOD; }
amqp_method_number_t gyre_amqp_method_basic_nack(void) { return AMQP_BASIC_NACK_METHOD; }
amqp_method_number_t gyre_amqp_method_basic_return(void) { return AMQP_BASIC_RETURN_METHOD; }
amqp_method_number_t gyre_amqp_method_basic_cancel(void) { return AMQP_BASIC_CANCEL_METHOD; }
amqp_method_number_t gyre_amqp_method_channel_close(void) { return AMQP_CHANNEL_CLOSE_METHOD; }
amqp_method_number_t gyre_amqp_method_connection_close(void) { return AMQP_CONNECTION_CLOSE_METHOD; }

int gyre_amqp_decode_confirm(const amqp_method_t *method, uint64_t *delivery_tag,
                             int *multiple, int *is_nack) {
  if (method->id == AMQP_BASIC_ACK_METHOD) {
    const amqp_basic_ack_t *m = (const amqp_basic_ack_t *)method->decoded;
    *delivery_tag = m->delivery_tag;
    *multiple = m->multiple ? 1 : 0;
    *is_nack = 0;
    return 1;
  }
  if (method->id == AMQP_BASIC_NACK_METHOD) {
    const amqp_basic_nack_t *m = (const amqp_basic_nack_t *)method->decoded;
    *delivery_tag = m->delivery_tag;
    *multiple = m->multiple ? 1 : 0;
    *is_nack = 1;
    return 1;
  }
  return 0;
}

static void copy_text(amqp_bytes_t text, char *buf, size_t buf_len) {
  if (buf == NULL || buf_len == 0) return;
  size_t n = text.len < buf_len - 1 ? text.len : buf_len - 1;
  if (n > 0 && text.bytes != NULL) memcpy(buf, text.bytes, n);
  buf[n] = '\0';
}

int gyre_amqp_decode_close(const amqp_method_t *method, uint16_t *reply_code,
                           char *buf, size_t buf_len) {
  if (method->id == AMQP_CHANNEL_CLOSE_METHOD) {
    const amqp_channel_close_t *m = (const amqp_channel_close_t *)method->decoded;
    *reply_code = m->reply_code;
    copy_text(m->reply_text, buf, buf_len);
    return 1;
  }
  if (method->id == AMQP_CONNECTION_CLOSE_METHOD) {
    const amqp_connection_close_t *m = (const amqp_connection_close_t *)method->decoded;
    *reply_code = m->reply_code;
    copy_text(m->reply_text, buf, buf_len);
    return 1;
  }
  return 0;
}

int gyre_amqp_send_channel_close_ok(amqp_connection_state_t conn,
                                    amqp_channel_t channel) {
  amqp_channel_close_ok_t ok;
  ok.dummy = '\0';
  return amqp_send_method(conn, channel, AMQP_CHANNEL_CLOSE_OK_METHOD, &ok);
}

int gyre_amqp_send_connection_close_ok(amqp_connection_state_t conn) {
  amqp_connection_close_ok_t ok;
  ok.dummy = '\0';
  return amqp_send_method(conn, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &ok);
}

/* ---------- sockets / wake-ups ---------- */

int gyre_socket_keepalive(int fd, int idle_s, int interval_s, int count) {
  int on = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on)) != 0) return -1;
  if (setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle_s, sizeof(idle_s)) != 0) return -1;
  if (setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval_s, sizeof(interval_s)) != 0) return -1;
  if (setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof(count)) != 0) return -1;
  return 0;
}

int gyre_poll2(int fd1, int fd2, int timeout_ms) {
  struct pollfd fds[2];
  fds[0].fd = fd1;
  fds[0].events = POLLIN;
  fds[0].revents = 0;
  fds[1].fd = fd2;
  fds[1].events = POLLIN;
  fds[1].revents = 0;
  int rc = poll(fds, 2, timeout_ms);
  if (rc < 0) return errno == EINTR ? 0 : -1;
  int mask = 0;
  if (fd1 >= 0 && (fds[0].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL))) mask |= 1;
  if (fd2 >= 0 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL))) mask |= 2;
  return mask;
}

int gyre_wakefd_create(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }

void gyre_wakefd_signal(int fd) {
  uint64_t one = 1;
  ssize_t rc;
  do {
    rc = write(fd, &one, sizeof(one));
  } while (rc < 0 && errno == EINTR);
}

void gyre_wakefd_drain(int fd) {
  uint64_t value;
  ssize_t rc;
  do {
    rc = read(fd, &value, sizeof(value));
  } while (rc < 0 && errno == EINTR);
}

void gyre_fd_close(int fd) {
  if (fd >= 0) close(fd);
}

void gyre_set_current_thread_name(const char *name) {
  char buf[16];
  strncpy(buf, name, sizeof(buf) - 1);
  buf[sizeof(buf) - 1] = '\0';
  pthread_setname_np(pthread_self(), buf);
}

/* ---------- Redis ---------- */

static struct timeval ms_to_timeval(int64_t ms) {
  struct timeval tv;
  if (ms < 0) ms = 0;
  tv.tv_sec = (time_t)(ms / 1000);
  tv.tv_usec = (suseconds_t)((ms % 1000) * 1000);
  return tv;
}

redisContext *gyre_redis_connect(const char *host, int port, int64_t timeout_ms) {
  return redisConnectWithTimeout(host, port, ms_to_timeval(timeout_ms));
}

int gyre_redis_set_timeout(redisContext *c, int64_t timeout_ms) {
  return redisSetTimeout(c, ms_to_timeval(timeout_ms));
}
