// Linux's event interfaces for the load engine's own socket loop (`SocketEventLoop`): epoll and
// eventfd, which Swift's Glibc module does not bring in.
#ifndef C_SOCKET_EVENTS_H
#define C_SOCKET_EVENTS_H

#ifdef __linux__
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <time.h>
#endif

#endif
