/*
 * porter/net.h: reaching a broker by name, for the programs' MQTT
 * clients (porterd, and porter-hub's uplink, Zigbee2MQTT and alarm
 * drivers).
 */
#ifndef PORTER_NET_H
#define PORTER_NET_H

#include <stdbool.h>
#include <stdint.h>

/*
 * The local address an MQTT connection attempt binds to
 * (mosquitto_connect_bind_async), by how many attempts failed before it.
 *
 * libmosquitto's non-blocking connect stops at the first of the broker
 * name's addresses whose connect(2) answers EINPROGRESS, and a connect to
 * an address nobody listens on, or that no route reaches, can answer just
 * that before it fails. A name whose first address is IPv6 ("localhost"
 * on Debian lists ::1 first) with a broker listening on IPv4 alone would
 * then never be reached, however often the client tried. Bound to one
 * family's wildcard address, libmosquitto skips the other family's
 * addresses (their bind fails and it goes on to the next), and the name
 * is still what TLS checks the broker's certificate against. So: NULL
 * (every address, in the resolver's order), then "0.0.0.0" (IPv4 only),
 * then "::" (IPv6 only), and round again; NULL always for an address
 * given as numbers.
 */
const char *pt_net_bind_for(const char *host, unsigned failed);

/*
 * The error a non-blocking TCP connect(2) on fd ended with (SO_ERROR,
 * which reading clears; ECONNREFUSED when the error was taken already and
 * the socket is closed), or 0: none yet, none at all, or fd < 0. Under TLS,
 * libmosquitto does not look while its connection is pending, and notices
 * a refused or unreachable address only at the keepalive (a minute): the
 * clients ask themselves when the socket reports an error or a hang-up.
 */
int pt_net_connect_error(int fd);

/*
 * How long one connection attempt may take, from
 * mosquitto_connect_bind_async to the broker's CONNACK (the TCP connect,
 * the TLS handshake and MQTT's CONNECT): an attempt not connected by then
 * counts as failed, as a refused one does, and the next one binds to the
 * other family (pt_net_bind_for). An address that never answers (an IPv6
 * route that goes nowhere, a firewall that drops SYNs) refuses nothing:
 * without a deadline the client would wait for the kernel to give up on
 * the connect (about two minutes with Linux's tcp_syn_retries of 6) or for
 * libmosquitto's keepalive (a minute by default), offline all that time,
 * at every attempt. 10 s: Linux sends the SYN again 1, 3 and 7 s after the
 * first, so a path that loses three in a row still connects, and the TLS
 * handshake and the CONNACK are a few round trips more: a slow but working
 * broker is not given up on, a black hole costs 10 s instead of minutes.
 * A keepalive shorter than this ends the attempt first (libmosquitto's
 * own check), as before.
 */
#define PT_NET_CONNECT_WAIT_MS 10000u

/*
 * The moment an attempt begun at now_ms (the caller's monotonic clock, in
 * milliseconds) counts as failed: now_ms + PT_NET_CONNECT_WAIT_MS. The
 * caller's loop wakes for it (it belongs in the loop's deadline).
 */
uint64_t pt_net_connect_by(uint64_t now_ms);

/*
 * Whether an attempt that must connect by by_ms (pt_net_connect_by) and
 * has not is late at now_ms. The caller then logs the attempt failed
 * (error="timed out") and schedules the next one as for a refused connect.
 */
bool pt_net_connect_is_late(uint64_t by_ms, uint64_t now_ms);

/*
 * Ends a late attempt's connection now, on fd (mosquitto_socket; nothing
 * when it is -1): libmosquitto keeps the descriptor until the next attempt
 * replaces it, and meanwhile a connect still under way would go on sending
 * SYNs, or finish its handshake with no one reading. shutdown(2): Linux
 * aborts a connect in progress, and an established one (a TLS handshake
 * that stalled) gets a FIN. The descriptor stays libmosquitto's to close.
 */
void pt_net_connect_abandon(int fd);

#endif
