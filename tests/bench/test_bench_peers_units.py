"""Pure parts of the peer comparison: the peers' configurations (and each peer's own
binary reading them), the mixed workload's schedule, the outage arithmetic, the verdicts
and section 7 of the report, the process tree, and the command's bad input."""

from __future__ import annotations

import subprocess

import pytest
from click.testing import CliRunner

from harness.bench import mixed, peerchecks, peerconf, peerreport, peers, report, verdict
from harness.bench.commands import bench

# ---- configurations ----------------------------------------------------------------


def test_varnish_vcl_is_the_integrations():
    vcl = peerconf.varnish_vcl("127.0.0.1", 8081)
    # krbaker/hass-sunpower contrib/varnish/default.vcl: HEAD 405, every GET hashed,
    # 600 s TTL, the PVS's no-cache headers dropped.
    assert "vcl 4.1;" in vcl
    assert '.host = "127.0.0.1";' in vcl and '.port = "8081";' in vcl
    head = vcl.index('req.method == "HEAD"')
    assert vcl.index("return (synth(405));") > head
    assert 'if (req.method == "GET") {\n        return (hash);' in vcl
    assert "set beresp.ttl = 600s;" in vcl
    assert "set beresp.uncacheable = false;" in vcl
    assert "unset beresp.http.pragma;" in vcl and "unset beresp.http.cache-control;" in vcl
    argv = peerconf.varnish_argv("/w", "/w/default.vcl", "127.0.0.1", 6081)
    assert argv[:2] == ["varnishd", "-F"] and "malloc,256m" in argv
    assert argv[argv.index("-a") + 1] == "127.0.0.1:6081"


def test_nginx_conf_is_the_addons_with_allowlist_and_websocket_upgrade():
    conf = peerconf.nginx_conf("/p", "127.0.0.1", 9080, 9002, "127.0.0.1", 80, 9003,
                               allowed=("127.0.0.1", "10.0.0.0/8"))  # fmt: skip
    assert conf.count("allow 127.0.0.1;") == 2 and conf.count("deny all;") == 2
    assert "allow 10.0.0.0/8;" in conf
    assert "listen 127.0.0.1:9080;" in conf and "listen 127.0.0.1:9002;" in conf
    assert "proxy_pass http://127.0.0.1:80;" in conf
    ws = conf[conf.index("listen 127.0.0.1:9002;") : conf.index("listen 127.0.0.1:9080;")]
    assert "proxy_pass http://127.0.0.1:9003;" in ws
    assert "proxy_http_version 1.1;" in ws
    assert "proxy_set_header Upgrade $http_upgrade;" in ws
    assert "proxy_set_header Connection $connection_upgrade;" in ws
    assert "pid /p/nginx.pid;" in conf
    assert "gzip" not in conf and "proxy_cache" not in conf  # the add-on has neither


def test_caddyfile_is_the_guides_on_loopback():
    text = peerconf.caddyfile("127.0.0.1", 9090, "127.0.0.1", 8080)
    assert "auto_https off" in text
    assert ":9090 {" in text and "bind 127.0.0.1" in text
    assert "reverse_proxy 127.0.0.1:8080" in text
    assert "encode" not in text  # the guide does not compress


def test_every_peer_has_a_named_source():
    assert set(peerconf.SOURCES) == set(peers.PEERS)
    for key in ("varnish", "nginx", "caddy"):
        assert "github.com/" in peerconf.SOURCES[key].where


def _run(argv):
    return subprocess.run(argv, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("key", ["varnish", "nginx", "caddy"])
def test_each_peer_binary_accepts_its_configuration(key, tmp_path):
    exe = peers.binary(peers.BINARIES[key])
    if exe is None:
        pytest.skip(peers.missing(key))
    if key == "varnish":
        path = tmp_path / "default.vcl"
        path.write_text(peerconf.varnish_vcl("127.0.0.1", 8080))
        # -j none: the compile check reads the file as this user (pytest tmp dirs are 0700).
        result = _run([exe, "-C", "-j", "none", "-n", str(tmp_path / "v"), "-f", str(path)])
    elif key == "nginx":
        path = tmp_path / "nginx.conf"
        path.write_text(
            peerconf.nginx_conf(str(tmp_path), "127.0.0.1", 9080, 9002, "127.0.0.1", 80, 9003)
        )
        result = _run([exe, "-t", "-p", str(tmp_path), "-c", str(path), "-g", "daemon off;"])
    else:
        path = tmp_path / "Caddyfile"
        path.write_text(peerconf.caddyfile("127.0.0.1", 9090, "127.0.0.1", 8080))
        result = _run([exe, "validate", "--config", str(path), "--adapter", "caddyfile"])
    assert result.returncode == 0, result.stderr[-2000:]


# ---- processes -----------------------------------------------------------------------


def test_children_of_walks_the_whole_tree(tmp_path):
    for pid, ppid in ((10, 1), (11, 10), (12, 10), (13, 11), (20, 1)):
        d = tmp_path / str(pid)
        d.mkdir()
        (d / "stat").write_text(f"{pid} (na me) S {ppid} 1 1 0 -1 0\n")
    (tmp_path / "self").mkdir()
    assert peers.children_of(10, proc=tmp_path) == [11, 12, 13]
    assert peers.children_of(13, proc=tmp_path) == []


def test_missing_binary_is_a_one_line_reason(monkeypatch):
    monkeypatch.setattr(peers, "binary", lambda name: None)
    reason = peers.missing("caddy")
    assert reason.startswith("caddy is not installed") and "\n" not in reason
    with pytest.raises(ValueError):
        peers.missing("apache")


# ---- mixed workload ------------------------------------------------------------------


def test_mixed_schedule_is_seeded_bounded_and_the_same_for_everyone():
    plan = mixed.schedule(mixed.clients(2, 1), 120.0)
    again = mixed.schedule(mixed.clients(2, 1), 120.0)
    assert [ts for _, ts in plan] == [ts for _, ts in again]
    legacy, prom = plan[0], plan[2]
    assert legacy[0].paths == mixed.LEGACY and legacy[0].interval == 120.0
    assert prom[0].paths[0].endswith("Command=Start") and prom[0].paths[-1].endswith("=Stop")
    for client, times in plan:
        assert times and all(0 <= t < 120.0 for t in times)
        assert times[0] < min(client.interval, 60.0)
        assert all(
            b - a == pytest.approx(client.interval) for a, b in zip(times, times[1:], strict=False)
        )
    assert len(prom[1]) == 4  # every 30 s within 120 s
    assert mixed.LEGACY[1] == "/cgi-bin/dl_cgi/energy-storage-system/status"
    with pytest.raises(ValueError):
        mixed.clients(-1, 1)
    with pytest.raises(ValueError):
        mixed.schedule(mixed.clients(), 0)


def test_outage_answers_count_only_answers_before_the_pvs_is_back():
    samples = [
        (0.0, 0.1, True),  # before the outage: not counted
        (1.0, 1.01, True),  # from a cache during the outage
        (2.0, 2.5, False),  # refused
        (3.0, 6.0, True),  # held until the PVS was back: not an answer during the outage
    ]
    assert peerchecks.outage_answers(samples, down=0.5, back=5.0) == {"asked": 3, "answered": 1}


# ---- verdicts ------------------------------------------------------------------------


def _row(reached, p50=0.001, errors=0, rss=16000):
    return {
        "peak_concurrency": 1,
        "reached_pvs": reached,
        "processes": 1,
        "clients": {"error_count": errors, "errors": {},
                    "latency": {"p50": p50, "p99": 5.0}, "requests": 10},
        "footprint": {"idle": {"rss_kb": rss, "cpu_percent": 0.0},
                      "load": {"peak_rss_kb": rss, "cpu_percent": 1.0},
                      "rss_detail": {"Pss": rss // 2}},
    }  # fmt: skip


SETTINGS = {"pollers": 20, "duration": 60, "inverters": 24, "client_timeout": 180,
            "cache_ttl": 120, "devicelist_seconds": 6.3, "target_reached": 6}  # fmt: skip


def _results():
    prot = {"peers": ["role", "varnish", "caddy"], "role": _row(2), "varnish": _row(1),
            "caddy": _row(20, p50=3.0, errors=4, rss=34000), "settings": SETTINGS}  # fmt: skip
    checks = {"peers": ["role", "varnish", "caddy"], "settings": {"inverters": 4,
              "overhead_requests": 10, "outage": 3}}  # fmt: skip
    for k, served in (("role", 12.0), ("varnish", 0.2), ("caddy", 0.0)):
        checks[k] = {
            "write": {"status": 403 if k == "role" else 200, "reached_pvs": k != "role"},
            "gzip": {"saving_wire_pct": 85.0 if k == "role" else 0.0},
            "overhead": {"added_p50": 0.0004, "added_p99": 0.001},
            "down": {"served_after_pvs_back": served,
                     "devicelist_during_outage": {"asked": 10, "answered": 10 if k != "caddy"
                                                  else 0}},
        }  # fmt: skip
    return {"protection": prot, "peerchecks": checks}


def test_better_respects_the_noise_margin():
    p50 = verdict.BY_KEY["a_p50"]
    assert verdict.better(p50, 0.5, 1.0)
    assert not verdict.better(p50, 0.99, 1.0)  # 10 ms: noise
    assert not verdict.better(verdict.BY_KEY["a_reached"], 2, 2)
    assert verdict.better(verdict.BY_KEY["gzip"], 85.0, 0.0)
    assert not verdict.better(verdict.BY_KEY["rss_kb"], 15800, 16000)
    assert verdict.better(verdict.BY_KEY["recovery"], 0.1, None)  # we never came back


def test_compare_names_where_a_peer_wins_and_where_pvs_bridge_wins():
    figs = verdict.figures(_results())
    wins = verdict.compare(figs)
    assert set(wins["varnish"]) == {"a_reached", "recovery"}
    assert "recovery" in wins["caddy"] and "rss_kb" not in wins["caddy"]
    assert "a_reached" not in wins["caddy"]
    assert {"write", "gzip"} <= set(wins["role"])
    assert "a_errors" not in wins["role"]  # varnish had no errors either: a tie is no win
    assert "recovery" not in wins["role"]
    ideas = verdict.ideas_for(wins["varnish"])
    assert len(ideas) == 2 and "downinter" in ideas[1]


def test_section_7_says_plainly_where_a_peer_wins():
    results = _results()
    results["protection"]["peers"].append("nginx")
    results["protection"]["nginx"] = {"skipped": "nginx is not installed (apt package nginx)"}
    results["peerchecks"]["peers"].append("nginx")
    results["peerchecks"]["nginx"] = {"skipped": "nginx is not installed (apt package nginx)"}
    lines, summary = peerreport.section(results)
    text = "\n".join(lines)
    assert "## 7. Against what owners run instead" in text
    assert (
        "| varnish (HA integration's VCL) | **DeviceList x20: requests reaching the PVS: 1 vs 2"
        in (text)
    )
    assert "krbaker/hass-sunpower" in text and "MrStrabo/PVS5-6_Reverse_Proxy_Guide" in text
    assert "| nginx (add-on config) | not run: nginx is not installed" in text
    assert (
        "| Caddy (Pi Zero guide) | **served again after the PVS is back (s): 0.0 s vs 12.0 s"
        in (text)
    )
    verdicts = {row[0]: row[3] for row in summary}
    assert verdicts["7. pvs-bridge vs varnish (HA integration's VCL)"].startswith(
        "**varnish better"
    )
    full = report.render(
        {**results, "started": "x", "command": "c", "wall": 1.0,
         "machine": {"cpu": "x", "cores": 2, "memory_mb": 1, "os": "d", "kernel": "k",
                     "haproxy": "h", "python": "p", "ansible": "a", "load_start": "0"}}
    )  # fmt: skip
    assert "| 7. pvs-bridge vs varnish (HA integration's VCL) |" in full


# ---- command -------------------------------------------------------------------------


def test_a_peer_given_twice_is_one_line_and_exit_2(tmp_path):
    out = tmp_path / "B.md"
    result = CliRunner().invoke(
        bench, ["--quick", "--peer", "caddy", "--peer", "caddy", "--output", str(out)]
    )
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: peer: "), result.output
    assert not out.exists()


def test_unknown_peer_and_short_mixed_duration_are_refused(tmp_path):
    for args, option in ((["--peer", "apache"], "--peer"), (["--mixed-duration", "1"],
                         "--mixed-duration"), (["--outage", "0"], "--outage")):  # fmt: skip
        result = CliRunner().invoke(bench, ["--quick", *args, "-o", str(tmp_path / "B.md")])
        assert result.exit_code == 2 and option in result.output
        assert "Traceback" not in result.output


def test_a_negative_added_latency_is_noise_not_a_win():
    results = _results()
    results["peerchecks"]["varnish"]["overhead"] = {"added_p50": 0.0004, "added_p99": -0.0015}
    results["peerchecks"]["role"]["overhead"] = {"added_p50": 0.0004, "added_p99": 0.0001}
    figs = verdict.figures(results)
    assert figs["varnish"]["overhead_p99"] == 0.0
    assert "overhead_p99" not in verdict.compare(figs)["varnish"]


def test_fast_check_idea_changes_only_the_pvs_check_and_haproxy_accepts_it(tmp_path):
    from harness.bench import loopback
    from harness.local_haproxy import check_config

    role, _, _ = loopback.role_config(8080)
    # The role has taken the idea: nothing to add to it, and its own row measures it.
    assert "fastinter" in role and peerchecks.fast_check_config(role) is None
    # The guide's configuration (a check without fastinter) is what the idea changes.
    config = role.replace(" fastinter 1s", "").replace(" downinter 2s", "")
    assert "fastinter" not in config
    tuned = peerchecks.fast_check_config(config)
    assert tuned is not None
    changed = [b for a, b in zip(config.splitlines(), tuned.splitlines(), strict=True) if a != b]
    assert len(changed) == 1 and changed[0].endswith(peerchecks.FAST_CHECK)
    assert peerchecks.fast_check_config("backend x\n    server s 1.2.3.4:80\n") is None
    if peers.missing("role"):
        pytest.skip(peers.missing("role"))
    path = tmp_path / "haproxy.cfg"
    path.write_text(tuned)
    result = check_config(path)
    assert result.returncode == 0, result.stdout + result.stderr
