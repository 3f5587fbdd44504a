/*
 * Non-variadic C helpers that Swift can call.
 *
 * librabbitmq's amqp_login()/amqp_login_with_properties() and hiredis'
 * redisCommand() are variadic and therefore not callable from Swift; this
 * module wraps what Gyre needs, plus a few small helpers (AMQP table
 * building, basic properties, poll/eventfd wake-ups) that are awkward to
 * express in Swift.
 */
#pragma once

#include <stdint.h>
#include <stddef.h>
#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_tcp_socket.h>
#include <hiredis/hiredis.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------- AMQP ---------- */

/// SASL PLAIN login. `connection_name` (may be NULL) is sent as the
/// `connection_name` client property (shown by the RabbitMQ management UI);
/// the client also advertises the `consumer_cancel_notify` capability.
amqp_rpc_reply_t gyre_amqp_login_plain(amqp_connection_state_t conn,
                                       const char *vhost, int channel_max,
                                       int frame_max, int heartbeat,
                                       const char *user, const char *password,
                                       const char *connection_name);

/// queue.declare with an optional `x-message-ttl` argument
/// (`message_ttl_ms < 0` means none). Returns NULL on failure; use
/// amqp_get_rpc_reply() for the reason.
amqp_queue_declare_ok_t *gyre_amqp_queue_declare(amqp_connection_state_t conn,
                                                 amqp_channel_t channel,
                                                 const char *queue, int passive,
                                                 int durable, int exclusive,
                                                 int auto_delete,
                                                 int64_t message_ttl_ms);

/// exchange.declare (not auto-delete, not internal, no arguments).
/// Returns 1 on success, 0 on failure (see amqp_get_rpc_reply()).
int gyre_amqp_exchange_declare(amqp_connection_state_t conn, amqp_channel_t channel,
                               const char *exchange, const char *type, int durable);
/// exchange.delete. Returns 1 on success, 0 on failure.
int gyre_amqp_exchange_delete(amqp_connection_state_t conn, amqp_channel_t channel,
                              const char *exchange);
/// queue.bind without arguments. Returns 1 on success, 0 on failure.
int gyre_amqp_queue_bind(amqp_connection_state_t conn, amqp_channel_t channel,
                         const char *queue, const char *exchange, const char *routing_key);
/// queue.delete (unconditional). Returns 1 on success, 0 on failure.
int gyre_amqp_queue_delete(amqp_connection_state_t conn, amqp_channel_t channel,
                           const char *queue);
/// basic.consume with an explicit consumer tag, manual acks.
/// Returns 1 on success, 0 on failure.
int gyre_amqp_basic_consume(amqp_connection_state_t conn, amqp_channel_t channel,
                            const char *queue, const char *consumer_tag);
/// basic.cancel. Returns 1 on success, 0 on failure.
int gyre_amqp_basic_cancel(amqp_connection_state_t conn, amqp_channel_t channel,
                           const char *consumer_tag);

/// basic.publish with message-id, optional type (NULL for none) and delivery
/// mode 2 when `persistent` is non-zero. Returns an AMQP_STATUS_* code.
int gyre_amqp_publish(amqp_connection_state_t conn, amqp_channel_t channel,
                      const char *exchange, const char *routing_key,
                      const void *body, size_t body_len,
                      const char *message_id, const char *type,
                      int persistent, int mandatory);

/// The delivered message's message-id / type properties, or an empty
/// amqp_bytes_t (bytes == NULL) when absent.
amqp_bytes_t gyre_amqp_envelope_message_id(const amqp_envelope_t *envelope);
amqp_bytes_t gyre_amqp_envelope_type(const amqp_envelope_t *envelope);

/// Method ids, as plain functions (the header macros contain casts).
amqp_method_number_t gyre_amqp_method_basic_ack(void);
amqp_method_number_t gyre_amqp_method_basic_nack(void);
amqp_method_number_t gyre_amqp_method_basic_return(void);
amqp_method_number_t gyre_amqp_method_basic_cancel(void);
amqp_method_number_t gyre_amqp_method_channel_close(void);
amqp_method_number_t gyre_amqp_method_connection_close(void);

/// Fields of a basic.ack / basic.nack method frame payload.
/// Returns 0 when the method is not an ack/nack.
int gyre_amqp_decode_confirm(const amqp_method_t *method, uint64_t *delivery_tag,
                             int *multiple, int *is_nack);

/// Reply code and text of a channel.close / connection.close method (the
/// text is copied into `buf`, NUL-terminated). Returns 0 for other methods.
int gyre_amqp_decode_close(const amqp_method_t *method, uint16_t *reply_code,
                           char *buf, size_t buf_len);

/// Answer a server-initiated channel.close / connection.close with close-ok.
int gyre_amqp_send_channel_close_ok(amqp_connection_state_t conn,
                                    amqp_channel_t channel);
int gyre_amqp_send_connection_close_ok(amqp_connection_state_t conn);

/* ---------- sockets / wake-ups ---------- */

/// Enables TCP keepalive (idle/interval seconds, probe count) on a socket.
int gyre_socket_keepalive(int fd, int idle_s, int interval_s, int count);

/// Waits until `fd1` and/or `fd2` (either may be -1) is readable (or in
/// error/hang-up), for at most `timeout_ms` (-1 = forever, 0 = just check).
/// Returns a bit mask: 1 = fd1 ready, 2 = fd2 ready; 0 on timeout; -1 on
/// error other than EINTR (EINTR returns 0).
int gyre_poll2(int fd1, int fd2, int timeout_ms);

/// A non-blocking, close-on-exec eventfd used to wake a thread blocked in
/// gyre_poll2. Returns -1 on failure.
int gyre_wakefd_create(void);
/// Makes the wake fd readable.
void gyre_wakefd_signal(int fd);
/// Resets the wake fd to non-readable.
void gyre_wakefd_drain(int fd);
void gyre_fd_close(int fd);
/// Names the calling thread (at most 15 characters are kept), for ps/top/gdb.
void gyre_set_current_thread_name(const char *name);

/* ---------- Redis ---------- */

/// Connects with a timeout; never returns NULL for out-of-memory without
/// `errstr` being set (returns NULL only if allocation failed).
redisContext *gyre_redis_connect(const char *host, int port, int64_t timeout_ms);
/// Sets the socket read/write timeout. Returns REDIS_OK / REDIS_ERR.
int gyre_redis_set_timeout(redisContext *c, int64_t timeout_ms);

#ifdef __cplusplus
}
#endif
