"""`a10flow serve`: the app under waitress, stopped gracefully. On SIGTERM (or Ctrl-C) it stops
accepting, lets the requests in flight finish and their answers go out (within
A10FLOW_SHUTDOWN_SECONDS), closes idle connections, stops the scheduler after its current step,
then exits: a deploy or a restart cuts no one's step short.
"""
import logging
import signal
import time

from waitress.server import create_server

log = logging.getLogger(__name__)


def run(app, host, port, threads, scheduler=None):
    """Serve ``app`` until SIGTERM or SIGINT, then drain (see above)."""
    limits = app.config["A10FLOW_SERVER"]
    proxy = {"trusted_proxy": limits["trusted_proxy"], "trusted_proxy_headers": {"x-forwarded-for", "x-forwarded-proto"},
             "clear_untrusted_proxy_headers": True} if limits["trusted_proxy"] else {}
    server = create_server(app, host=host, port=port, threads=threads,
                           # refused with 413 on its Content-Length, before anything is read (multipart framing allowed)
                           max_request_body_size=app.config["MAX_CONTENT_LENGTH"] + 64 * 1024,
                           connection_limit=limits["connections"], channel_timeout=limits["idle_seconds"],
                           cleanup_interval=max(1, limits["idle_seconds"] // 2), asyncore_use_poll=True, **proxy)
    asked = []
    for kind in (signal.SIGTERM, signal.SIGINT):
        signal.signal(kind, lambda number, _frame: asked.append(number))
    try:
        while not asked:
            server.asyncore.loop(timeout=0.5, map=server._map, use_poll=True, count=1)
        _drain(server, time.monotonic() + app.config["A10FLOW_SHUTDOWN_SECONDS"])
    finally:
        server.task_dispatcher.shutdown(timeout=1)
        if scheduler is not None:
            scheduler.shutdown(wait=True)   # after the step it is in, if any


def _drain(server, deadline):
    server.accepting = False   # no new connection: the socket closes, a load balancer moves on
    server.del_channel()
    server.socket.close()
    while time.monotonic() < deadline:
        busy = [c for c in list(server.active_channels.values()) if c.requests or c.total_outbufs_len]
        for channel in server.active_channels.values():
            if channel not in busy:
                channel.will_close = True   # an idle keep-alive connection: closed now, not at its timeout
        if not busy:
            return
        server.asyncore.loop(timeout=0.2, map=server._map, use_poll=True, count=1)
    log.warning("stopped with requests still in flight after A10FLOW_SHUTDOWN_SECONDS")
