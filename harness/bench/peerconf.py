"""The configurations of the peers: what owners put in front of their PVS instead of
pvs-bridge, written from each one's public description (pure functions, unit-tested).

Each renderer keeps what the source configures and changes only what running several
side by side on loopback needs (addresses, ports, paths of the process's own files). The
sources and every such change are listed in SOURCES and in docs/benchmarks.md.
"""

from __future__ import annotations

from dataclasses import dataclass

# How the report and the runner name each proxy.
LABELS = {
    "role": "pvs-bridge (role's haproxy)",
    "guide": "guide's haproxy",
    "varnish": "varnish (HA integration's VCL)",
    "nginx": "nginx (add-on config)",
    "caddy": "Caddy (Pi Zero guide)",
}


@dataclass(frozen=True)
class Source:
    what: str  # one line: who configures it this way
    where: str  # the public file(s) the configuration was written from
    described: str  # what the source's configuration does
    changed: str  # what the bench changes, and why


SOURCES: dict[str, Source] = {
    "role": Source(
        "pvs-bridge's own bridge_proxy role (defaults)",
        "roles/bridge_proxy/templates/haproxy.cfg.j2, rendered by harness.proxy_config",
        "one request at a time to the PVS with a queue, 120 s cache of the read commands, "
        "read-only guard, gzip, health check every 10 s",
        "loopback addresses and free ports; no syslog, chroot, admin socket or user switch",
    ),
    "guide": Source(
        "the guide's haproxy (Debian's default haproxy.cfg plus the guide's lines)",
        "shared reference pvs-guide.md, rendered by harness.proxy_config",
        "a plain HTTP proxy to the PVS with gzip and a stats page",
        "loopback addresses and free ports; no syslog, chroot, admin socket or user switch",
    ),
    "varnish": Source(
        "varnish with the Home Assistant integration's published VCL",
        "github.com/krbaker/hass-sunpower contrib/varnish/default.vcl and override.conf",
        "every GET is looked up in the cache and kept 600 s whatever the PVS's "
        "Cache-Control/Pragma say; HEAD is answered 405 by varnish; varnishd on port 80 "
        "with 256 MB malloc storage; varnish merges concurrent misses of one object",
        "listens on a free loopback port instead of :80; no management port (-T none) "
        "instead of localhost:6082, so that several run at once",
    ),
    "nginx": Source(
        "nginx as a Home Assistant add-on's PVS proxy configures it",
        "github.com/sneelco/hass-addon-pvs-recorder pvs_proxy/nginx/nginx.conf and "
        "pvs_proxy/scripts/generate-config.sh",
        "a plain proxy_pass to the PVS's port 80; the telemetry WebSocket 9002 proxied "
        "with HTTP/1.1 and the Upgrade/Connection headers; an allowlist of client "
        "addresses (allow ...; deny all); worker_processes auto",
        "loopback addresses and free ports (the add-on's port 80 proxy listens on 9080); "
        "pid and temp files in a private directory; no access log; the add-on's stream "
        "proxy of the battery's Modbus port 502 is left out (not HTTP)",
    ),
    "caddy": Source(
        "Caddy as a published Raspberry Pi Zero W guide configures it",
        "github.com/MrStrabo/PVS5-6_Reverse_Proxy_Guide README.md (step 8)",
        "a plain reverse_proxy to the PVS's port 80, automatic HTTPS off",
        "binds the loopback address only (the guide's :9090 listens on every address); "
        "admin endpoint off (its fixed :2019 would collide between instances); "
        "its data directory private",
    ),
}


def varnish_vcl(pvs_host: str, pvs_port: int, ttl: int = 600) -> str:
    """The integration's VCL (vcl 4.1): HEAD refused with 405, every GET looked up in the
    cache, every answer kept `ttl` seconds with the PVS's Pragma/Cache-Control removed."""
    return f"""\
vcl 4.1;

# Written from the description of krbaker/hass-sunpower contrib/varnish/default.vcl.
backend default {{
    .host = "{pvs_host}";
    .port = "{pvs_port}";
}}

sub vcl_recv {{
    if (req.method == "HEAD") {{
        return (synth(405));
    }}
    if (req.method == "GET") {{
        return (hash);
    }}
}}

sub vcl_backend_response {{
    set beresp.uncacheable = false;
    set beresp.ttl = {ttl}s;
    unset beresp.http.pragma;
    unset beresp.http.cache-control;
    return (deliver);
}}
"""


def varnish_argv(
    workdir: str, vcl_path: str, address: str, port: int, storage: str = "malloc,256m"
) -> list[str]:
    """varnishd in the foreground as the integration's systemd override runs it, but on a
    loopback port, with its own instance directory and without the management port."""
    return [
        "varnishd",
        "-F",
        "-n",
        workdir,
        "-a",
        f"{address}:{port}",
        "-T",
        "none",
        "-f",
        vcl_path,
        "-s",
        storage,
    ]


def nginx_conf(
    prefix: str,
    address: str,
    http_port: int,
    ws_port: int,
    pvs_host: str,
    pvs_port: int,
    pvs_ws_port: int,
    allowed: tuple[str, ...] = ("127.0.0.0/8",),
) -> str:
    """The add-on's nginx.conf with its generated client allowlist, on loopback (the
    bench's pollers each come from an address of their own in 127.0.0.0/8)."""
    allow = "".join(f"        allow {a};\n" for a in allowed) + "        deny all;\n"
    return f"""\
# Written from the description of sneelco/hass-addon-pvs-recorder pvs_proxy/nginx.
worker_processes auto;
error_log {prefix}/error.log warn;
pid {prefix}/nginx.pid;

events {{
    worker_connections 1024;
}}

http {{
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy_temp;
    fastcgi_temp_path {prefix}/fastcgi_temp;
    uwsgi_temp_path {prefix}/uwsgi_temp;
    scgi_temp_path {prefix}/scgi_temp;
    access_log off;
    keepalive_timeout 65;

    map $http_upgrade $connection_upgrade {{
        default upgrade;
        ''      close;
    }}

    server {{
        listen {address}:{ws_port};
{allow}
        location / {{
            proxy_pass http://{pvs_host}:{pvs_ws_port};
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
        }}
    }}

    server {{
        listen {address}:{http_port};
{allow}
        location / {{
            proxy_pass http://{pvs_host}:{pvs_port};
        }}
    }}
}}
"""


def nginx_argv(prefix: str, conf_path: str) -> list[str]:
    return ["nginx", "-p", prefix, "-c", conf_path, "-g", "daemon off;"]


def caddyfile(address: str, port: int, pvs_host: str, pvs_port: int) -> str:
    """The guide's Caddyfile: automatic HTTPS off, one site with a plain reverse_proxy."""
    return f"""\
# Written from the description of MrStrabo/PVS5-6_Reverse_Proxy_Guide (step 8).
{{
\tauto_https off
\tadmin off
}}

:{port} {{
\tbind {address}
\treverse_proxy {pvs_host}:{pvs_port}
}}
"""


def caddy_argv(caddyfile_path: str) -> list[str]:
    return ["caddy", "run", "--config", caddyfile_path, "--adapter", "caddyfile"]
