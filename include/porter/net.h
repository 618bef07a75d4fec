/*
 * porter/net.h: reaching a broker by name, for the programs' MQTT
 * clients (porterd, and porter-hub's uplink, Zigbee2MQTT and alarm
 * drivers).
 */
#ifndef PORTER_NET_H
#define PORTER_NET_H

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

#endif
