"""`lingxi home ...`: parse and carry out smart-home requests; state and history."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from lingxi.cli._common import console, database, emit_json, handle_errors, settings

__all__ = ["app"]

app = typer.Typer(help="The smart-home engine.", no_args_is_help=True)

AsJson = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]
Household = Annotated[int, typer.Option("--household", help="Household id.", min=1, max=2**31 - 1)]
Area = Annotated[
    str | None, typer.Option("--area", help="The room the request comes from (area id or name).")
]


@app.callback()
def _group() -> None:
    """Understand smart-home requests in English or Chinese and carry them out."""


def _controller(*, real_devices: bool) -> object:
    from lingxi.home import HomeController, create_driver
    from lingxi.home.intents import keep_compiled

    cfg = settings()
    # A cold command loads Home Assistant's templates compiled by an earlier one.
    keep_compiled(cfg.data_dir / "cache")
    driver = None
    if real_devices and cfg.mqtt.url:
        # A client: it never touches Lingxi's availability in Home Assistant (lingxi serve's).
        driver = create_driver("mqtt", settings=cfg.mqtt, role="client")
    return HomeController(database(), settings=cfg.home, driver=driver)


@app.command("parse")
@handle_errors
def parse_cmd(
    text: Annotated[str, typer.Argument(help="The request, e.g. 'turn off the kitchen light'.")],
    household: Household = 1,
    area: Area = None,
    as_json: AsJson = False,
) -> None:
    """Show the intents and slots recognised in TEXT, or no match with a reason."""
    from lingxi.home import HomeController

    controller = _controller(real_devices=False)
    assert isinstance(controller, HomeController)
    result = controller.parse(text, household, context_area=area)
    if as_json:
        emit_json(result.to_dict())
        return
    if result.scheduled:
        _print_scheduled(result.scheduled)
        return
    if not result.commands:
        console.print(
            f"no command ({result.reason})" + (f": {result.question}" if result.question else "")
        )
        return
    table = Table("intent", "slots", "targets", "tier")
    for c in result.commands:
        table.add_row(c.intent, str(c.slots), ", ".join(c.targets), str(c.tier))
    console.print(table)


def _print_scheduled(commands: tuple[object, ...]) -> None:
    table = Table("intent", "slots", "targets", "when", "automation")
    for c in commands:
        doc = c.to_dict()  # type: ignore[attr-defined]
        when = doc["schedule"]
        table.add_row(
            doc["intent"],
            str(doc["slots"]),
            ", ".join(c.targets),  # type: ignore[attr-defined]
            f"at {when['at']}" if "at" in when else f"in {when['delay']} s",
            str(doc["automation"]),
        )
    console.print(table)


@app.command("do")
@handle_errors
def do_cmd(
    text: Annotated[str, typer.Argument(help="The request, e.g. '关灯然后把空调调到26度'.")],
    household: Household = 1,
    member: Annotated[
        int | None,
        typer.Option(
            "--member", help="Customer id acting (default: the owner).", min=1, max=2**31 - 1
        ),
    ] = None,
    area: Area = None,
    yes: Annotated[
        bool, typer.Option("--yes", help="Confirm a lock/cover/heating action.")
    ] = False,
    as_json: AsJson = False,
) -> None:
    """Parse TEXT and carry it out on the configured devices (MQTT when LINGXI_MQTT__URL is set)."""
    from lingxi.data.records import Member
    from lingxi.home import HomeController

    controller = _controller(real_devices=True)
    assert isinstance(controller, HomeController)
    try:
        if member is not None:
            from lingxi.data.repos.identity import get_member

            with database().session() as s:
                acting = get_member(s, customer_id=member)
        else:
            # The local operator: acts as the owner, recorded without a customer id.
            acting = Member(0, household, "owner", "CLI", "")
        if acting.household_id != household:
            from lingxi.errors import ForbiddenError

            raise ForbiddenError("That member belongs to another household.", field="member")
        # A command for later ("at nine thirty pm") is stored as an automation that
        # `lingxi serve` carries out when due; a risky one asks for --yes first.
        result = controller.handle(text, acting, channel="text", context_area=area, confirmed=yes)
    finally:
        controller.close()
    if as_json:
        emit_json({**result.to_dict(), "done_now": result.automation is None})
        return
    console.print(result.reply)
    if not result.ok:
        raise typer.Exit(1)


automations_app = typer.Typer(
    help="Commands for later: list them, cancel one.", invoke_without_command=True
)
app.add_typer(automations_app, name="automations")


@automations_app.callback()
@handle_errors
def automations_cmd(ctx: typer.Context, household: Household = 1, as_json: AsJson = False) -> None:
    """List the household's automations still to run (`lingxi serve` carries them out)."""
    if ctx.invoked_subcommand is not None:
        return
    from lingxi.data.repos.home_automations import list_automations

    with database().session() as s:
        records = list_automations(s, household_id=household)
    if as_json:
        emit_json({"data": [r.to_dict() for r in records], "count": len(records)})
        return
    table = Table("id", "due (UTC)", "text", "commands")
    for r in records:
        commands = "; ".join(f"{c['intent']} {', '.join(c['targets'])}" for c in r.commands)
        table.add_row(str(r.id), r.due_at.strftime("%Y-%m-%d %H:%M"), r.text, commands)
    console.print(table if records else "No automations to run.")


@automations_app.command("cancel")
@handle_errors
def automations_cancel_cmd(
    automation_id: Annotated[
        int, typer.Argument(help="The automation's id (from the list).", min=1, max=2**31 - 1)
    ],
    household: Household = 1,
    as_json: AsJson = False,
) -> None:
    """Cancel an automation before it runs (exit 2 if there is none; 1 if it already ran)."""
    from lingxi.data.repos.home_automations import cancel_automation

    with database().session() as s:
        record = cancel_automation(s, household_id=household, automation_id=automation_id)
    if as_json:
        emit_json(record.to_dict())
        return
    console.print(f"Cancelled automation {record.id}: {record.text}")


@app.command("import")
@handle_errors
def import_cmd(
    file: Annotated[Path, typer.Argument(help="A Home Assistant-style inventory, YAML or JSON.")],
    household: Household = 1,
    as_json: AsJson = False,
) -> None:
    """Import areas, devices and entities (with their states) from FILE into a household.

    Every row is checked first (an error names its row and field, exit 2); importing the same
    file again changes nothing. Household 1 is created in an empty database.
    """
    from lingxi.home.importing import import_inventory
    from lingxi.home.inventory import read_inventory

    inventory = read_inventory(file)
    report = import_inventory(database(), inventory, household_id=household)
    if as_json:
        emit_json(report.to_dict())
        return
    doc = report.to_dict()
    console.print(
        f"Household {report.household_id}"
        + (" (created)" if report.household_created else "")
        + ": "
        + "; ".join(f"{kind} {doc[kind]}" for kind in ("areas", "devices", "entities"))
        + f"; {report.states_recorded} states recorded."
    )


@app.command("adopt")
@handle_errors
def adopt_cmd(
    offer: Annotated[
        str | None,
        typer.Argument(help="The offer to adopt (its id from the list); omit to list offers."),
    ] = None,
    household: Household = 1,
    area: Annotated[
        str | None, typer.Option("--area", help="The household's area to put it in.")
    ] = None,
    name: Annotated[str | None, typer.Option("--name", help="Its name in the home.")] = None,
    as_json: AsJson = False,
) -> None:
    """List the devices announced on the broker (Zigbee2MQTT, Tasmota, ...) or adopt one.

    Adopted devices are commanded on their own command topics.
    """
    from lingxi.home.adopt import adopt, scan

    offers = scan(settings().mqtt)
    if offer is None:
        if as_json:
            emit_json({"data": [o.to_dict() for o in offers], "count": len(offers)})
            return
        table = Table("id", "entity", "name", "suggested area", "command topic")
        for o in offers:
            table.add_row(o.id, o.entity_id, o.name, o.suggested_area or "", o.command_topic or "")
        console.print(table)
        return
    done = adopt(database(), offers, offer, household_id=household, area_id=area, name=name)
    if as_json:
        emit_json(done)
        return
    console.print(f"Adopted {done['name']} as {done['entity_id']} ({done['outcome']}).")


@app.command("state")
@handle_errors
def state_cmd(household: Household = 1, as_json: AsJson = False) -> None:
    """Show every entity's current state (as recorded), in Home Assistant's terms.

    ``--json`` prints ``{"entities": [{"entity_id", "name", "area", "state", "attributes"}]}``.
    """
    from lingxi.home import HomeController, ha_entity

    controller = _controller(real_devices=False)
    assert isinstance(controller, HomeController)
    rows = controller.state(household)
    if as_json:
        emit_json({"entities": [ha_entity(r) for r in rows]})
        return
    table = Table("entity", "state", "attributes")
    for r in rows:
        table.add_row(r["entity_id"], r["state"], str(r["attributes"]))
    console.print(table)


@app.command("history")
@handle_errors
def history_cmd(
    household: Household = 1,
    entity: Annotated[str | None, typer.Option("--entity", help="Only this entity.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000)] = 20,
    as_json: AsJson = False,
) -> None:
    """Show recorded changes: what, who, how and when."""
    from lingxi.home import HomeController

    controller = _controller(real_devices=False)
    assert isinstance(controller, HomeController)
    rows = controller.history(household, entity_id=entity, limit=limit)
    if as_json:
        emit_json({"data": rows, "count": len(rows)})
        return
    table = Table("when", "entity", "state", "how", "who")
    for r in rows:
        table.add_row(
            r["changed_at"], r["entity_id"], r["state"], r["source"], str(r["actor_customer_id"])
        )
    console.print(table)


@app.command("train-gestures")
@handle_errors
def train_gestures_cmd(
    data: Annotated[
        Path, typer.Option("--data", help="Folder with keypoint.csv and point_history.csv.")
    ],
    out: Annotated[Path | None, typer.Option("--out", help="Where to write the .npz.")] = None,
    as_json: AsJson = False,
) -> None:
    """Train the gesture classifiers (held-out split reported) and save their weights."""
    from lingxi.errors import InvalidInputError
    from lingxi.home.gestures import train_gesture_models

    if not (data / "keypoint.csv").exists() or not (data / "point_history.csv").exists():
        raise InvalidInputError.for_field(
            "data", "a folder with keypoint.csv and point_history.csv", str(data)
        )
    with console.status("Training the gesture classifiers..."):
        models, report = train_gesture_models(data)
    target = out or Path(__file__).resolve().parents[1] / "home" / "models" / "gestures.npz"
    models.save(target)
    report["saved_to"] = str(target)  # type: ignore[assignment]
    if as_json:
        emit_json(report)
        return
    for key, value in report.items():
        console.print(f"{key}: {value}")


@app.command("train-nlu")
@handle_errors
def train_nlu_cmd(
    repo: Annotated[
        Path,
        typer.Option(
            "--repo", help="The Lingxi checkout (for tests/home/data and benchmarks/data)."
        ),
    ] = Path(),
    shared: Annotated[
        Path | None,
        typer.Option("--shared", help="The shared data folder (SLURP devel under home/slurp)."),
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Where to write the .npz.")] = None,
    as_json: AsJson = False,
) -> None:
    """Rebuild the learned tier's model (deterministic) from HA templates, SLURP and paraphrases."""
    from lingxi.errors import InvalidInputError
    from lingxi.home._training import train
    from lingxi.home.learned import model_path

    if not (repo / "benchmarks" / "data" / "home").is_dir():
        raise InvalidInputError.for_field(
            "repo", "a Lingxi checkout with benchmarks/data/home", str(repo)
        )
    import os

    beside = repo.resolve().parent / "shared" / "data"
    data = shared or Path(os.environ.get("LINGXI_SHARED_DATA") or beside)
    with console.status("Training the home NLU model (embedding a few thousand sentences)..."):
        # Embeddings are cached beside the checkout: a rebuild re-embeds only new sentences.
        cache = repo / "var" / "cache" / "home_nlu_embeddings.npz"
        report = train(repo, data, out or model_path(), cache=cache)
    if as_json:
        emit_json(report)
        return
    for key, value in report.items():
        console.print(f"{key}: {value}")


@app.command("simulate")
@handle_errors
def simulate_cmd(
    household: Household = 1,
    seconds: Annotated[
        float, typer.Option("--seconds", help="Stop after this long (0 = until Ctrl-C).", min=0)
    ] = 0,
) -> None:
    """Run simulated devices for a household on the MQTT broker (LINGXI_MQTT__URL)."""
    import time

    from lingxi.data.repos import home as repo
    from lingxi.errors import InvalidInputError
    from lingxi.home import DeviceState
    from lingxi.home.drivers.mqtt import SimulatedHub

    cfg = settings()
    if not cfg.mqtt.url:
        raise InvalidInputError.for_field("LINGXI_MQTT__URL", "set to a broker URL", None)
    with database().session() as s:
        entities = repo.list_entities(s, household_id=household)
        states = {
            k: DeviceState(k, v.state, v.attributes, household)
            for k, v in repo.current_states(s, household_id=household).items()
        }
    hub = SimulatedHub(settings=cfg.mqtt, household_id=household, entities=entities, states=states)
    console.print(f"Simulating {len(entities)} devices of household {household} on {cfg.mqtt.url}.")
    try:
        deadline = time.monotonic() + seconds if seconds else None
        while deadline is None or time.monotonic() < deadline:
            time.sleep(0.2)
    except KeyboardInterrupt:
        pass
    finally:
        hub.close()
