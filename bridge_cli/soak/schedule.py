"""The simulated day: which faults happen at which time of day, and for how long.

The day is compressed: `day_seconds` of real time pass for 24 hours, and the simulated
PVS's site clock and protocol timers run `scale` times faster. Event *positions* follow
that compressed clock; event *durations* stay in real seconds, because what they test
runs on real time: haproxy's timeouts and health checks, NetworkManager's DHCP, systemd's
boot. An event that runs late (the one before it took longer) starts as soon as the day
has had a calm spell after it; the day then ends later than planned (bounded).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

DAY = 86400.0
MAX_DAY_MINUTES = 30.0


@dataclass(frozen=True)
class Event:
    key: str
    title: str
    hour: float  # time of day it starts, site time (0-24)
    seconds: float  # how long the fault lasts, real seconds
    how: str  # what the soak does, for the report: a format string of seconds and extra
    extra: dict = field(default_factory=dict)  # per kind: delay, return step, dhcp delay

    def describe(self) -> str:
        return self.how.format(seconds=self.seconds, **self.extra)


def full_events() -> tuple[Event, ...]:
    return (
        Event("pvs_reboot", "Nightly PVS reboot", 3.0, 90,
              "simulator offline (connections refused) {seconds:g} s, then boots; its 12 "
              "inverters reappear in DeviceList one every {return_step:g} s",
              {"return_step": 5.0}),
        Event("hung_cgi", "Hung dl_cgi", 6.5, 180,
              "simulator fault `hang`: TCP accepted, no HTTP answer, for {seconds:g} s"),
        Event("slow_devicelist", "DeviceList takes over a minute", 9.0, 150,
              "simulator fault `slow_scan`: every DeviceList answers after {delay:g} s, for "
              "{seconds:g} s", {"delay": 70.0}),
        Event("firmware_2025", "Firmware update legacy -> 2025", 12.5, 60,
              "simulator offline {seconds:g} s, then boots as build {build} (HTTPS API with "
              "login; the old ?Command= API answers 403)", {"build": 61846}),
        Event("wifi_down", "Home WiFi down", 16.0, 120,
              "`ip -n <home ns> link set home0 down`, {seconds:g} s, then up"),
        Event("power_cut", "Bridge power cut, PVS DHCP late", 20.0, 10,
              "guest killed hard (nspawn and the guest's PID 1, SIGKILL; its interfaces "
              "lose their addresses), off {seconds:g} s, booted again with the PVS side's "
              "DHCP server stopped; DHCP back {dhcp_delay:g} s after power-on",
              {"dhcp_delay": 150.0}),
    )  # fmt: skip


def quick_events() -> tuple[Event, ...]:
    """The same day with short faults (a smoke run of a few minutes)."""
    short = {
        "pvs_reboot": (15, {"return_step": 1.0}),
        "hung_cgi": (20, {}),
        "slow_devicelist": (25, {"delay": 15.0}),
        "firmware_2025": (10, {"build": 61846}),
        "wifi_down": (15, {}),
        "power_cut": (3, {"dhcp_delay": 20.0}),
    }
    return tuple(replace(e, seconds=short[e.key][0], extra=short[e.key][1]) for e in full_events())


EVENT_KEYS = tuple(e.key for e in full_events())


@dataclass(frozen=True)
class Plan:
    day_seconds: float
    events: tuple[Event, ...]
    calm_seconds: float  # at least this much calm after each event's window
    recovery_limit: float  # real s after a fault ends within which the bridge must serve
    pollers: int = 20
    poll_interval: float = 5.0
    pypvs_clients: int = 3
    pypvs_interval: float = 10.0
    quick: bool = False

    @property
    def scale(self) -> float:
        return DAY / self.day_seconds

    def real_offset(self, hour: float) -> float:
        """Real seconds from the day's start to `hour` o'clock."""
        return hour * 3600.0 / self.scale

    def hour_at(self, offset: float) -> float:
        """Site time of day (hours) `offset` real seconds after the day's start."""
        return offset * self.scale / 3600.0

    @property
    def bound_seconds(self) -> float:
        """The longest the day can take: every event late by its whole length."""
        per_event = sum(
            e.seconds
            + sum(v for k, v in e.extra.items() if k in ("dhcp_delay",))
            + self.recovery_limit
            + self.calm_seconds
            + 60
            for e in self.events
        )
        return self.day_seconds + per_event


def make_plan(
    day_minutes: float | None = None, quick: bool = False, only: tuple[str, ...] = ()
) -> Plan:
    """The day's plan. `only`: a subset of EVENT_KEYS (the others are left out)."""
    if day_minutes is None:
        day_minutes = 4.0 if quick else MAX_DAY_MINUTES
    if not 1 <= day_minutes <= MAX_DAY_MINUTES:
        raise ValueError(f"day-minutes must be within 1..{MAX_DAY_MINUTES:.0f}")
    unknown = [k for k in only if k not in EVENT_KEYS]
    if unknown:
        raise ValueError(f"unknown event {unknown[0]!r}; allowed: {', '.join(EVENT_KEYS)}")
    events = quick_events() if quick else full_events()
    if only:
        events = tuple(e for e in events if e.key in only)
    return Plan(
        day_seconds=day_minutes * 60.0,
        events=events,
        calm_seconds=10.0 if quick else 30.0,
        recovery_limit=90.0 if quick else 300.0,
        poll_interval=2.0 if quick else 5.0,
        pypvs_interval=5.0 if quick else 10.0,
        quick=quick,
    )


def start_offset(plan: Plan, event: Event, previous_end: float | None) -> float:
    """When (real s after the day's start) `event` begins: at its hour, or after a calm
    spell once the previous event's window closed, whichever is later."""
    due = plan.real_offset(event.hour)
    if previous_end is None:
        return max(due, plan.calm_seconds)
    return max(due, previous_end + plan.calm_seconds)
