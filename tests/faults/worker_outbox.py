"""An outbox consumer process for the kill -9 test (run as ``python -m`` with a database URL).

Each delivery appends the event id to a log (flushed and fsynced, so it survives the kill);
applying an event writes an ``effect.applied`` event in the handler's transaction. With
``--die-at N`` the process SIGKILLs itself after applying event N and before its processed
mark commits: the crash falls between handling and marking.
"""

from __future__ import annotations

import argparse
import os
import signal

from sqlalchemy.orm import Session

from lingxi.data import Database
from lingxi.data.repos import events


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("log")
    parser.add_argument("--die-at", type=int, default=0)
    args = parser.parse_args()
    db = Database.from_url(args.url)

    def handler(session: Session, event: events.Event) -> None:
        with open(args.log, "a") as log:
            log.write(f"{event.id}\n")
            log.flush()
            os.fsync(log.fileno())
        events.emit(session, topic="effect.applied", payload={"of": event.id})
        session.flush()  # the effect is written (not yet committed) when the kill comes
        if event.payload.get("n") == args.die_at:
            os.kill(os.getpid(), signal.SIGKILL)

    events.process_pending(db.sessions, consumer="courier", handler=handler, topics=("order.x",))
    db.dispose()


if __name__ == "__main__":
    main()
