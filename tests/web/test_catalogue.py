"""Catalogue (staff): import the Sephora subset through the page, see its report and products,
edit a price, and roll the import back; a customer has no Catalogue entry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SHARED_DATA
from tests.web.conftest import Console, Server, demo_sign_in, new_page, shot, wait_until

pytestmark = pytest.mark.integration

SUBSET = SHARED_DATA / "guide" / "sephora_product_info_skincare_subset.csv"
MAPPING = (
    Path(__file__).resolve().parents[2]
    / "examples"
    / "catalogues"
    / "sephora_product_info_skincare_subset.mapping.yaml"
)


ROWS = 24
"""The page imports the subset's first rows: each new product is embedded for the guide in the
server's background, and the shared test server must stay quick for the journeys after this
one (the whole file is imported through the page in tests/web/test_operator_day.py)."""


def _first_rows(tmp_path: Path) -> Path:
    """The header and the first ROWS products of the subset (P384537 among them)."""
    lines = SUBSET.read_text(encoding="utf-8").splitlines(keepends=True)
    part = tmp_path / SUBSET.name  # the same file name: the upload names the source
    part.write_text("".join(lines[: ROWS + 1]), encoding="utf-8")
    return part


@pytest.mark.skipif(not SUBSET.exists(), reason="no shared data")
def test_staff_import_the_sephora_subset(browser: Any, server: Server, tmp_path: Path) -> None:
    """Journey (desktop): staff upload the file with its mapping, read the report, find a
    product with its placeholder image, change its price, then roll the import back."""
    console = Console()
    customer = new_page(browser, "phone", console)
    demo_sign_in(customer, server, "mei@demo.lingxi")
    assert customer.locator("#mainnav a[data-view=catalogue]").is_hidden()
    customer.context.close()

    page = new_page(browser, "desktop", console)
    demo_sign_in(page, server, "ops@demo.lingxi")
    page.click("#mainnav a[data-view=catalogue]")
    page.wait_for_selector("[data-testid=catalogue-results] table")
    page.set_input_files("#catalogue-file", str(_first_rows(tmp_path)))
    page.set_input_files("#catalogue-mapping", str(MAPPING))
    page.click(".catalogue-import button[type=submit]")
    message = page.wait_for_selector("[data-testid=import-message]", timeout=60_000)
    text = message.inner_text()
    assert f"{ROWS} inserted" in text and text.startswith("Catalogue version"), text
    version = int(text.split()[2].rstrip(":"))
    page.wait_for_selector(f"[data-testid=catalogue-versions] tr[data-version='{version}']")

    page.fill("#catalogue-q", "GENIUS Ultimate")
    page.click(".catalogue-search button[type=submit]")
    row = page.wait_for_selector("tr[data-sku=P384537]")
    assert "Algenist" in row.inner_text()
    wait_until(  # the generated placeholder (brand initials) was served and decoded
        page,
        "() => { const i = document.querySelector('tr[data-sku=P384537] img');"
        " return i.complete && i.naturalWidth > 0; }",
    )
    shot(page, "catalogue-imported")
    page.click("tr[data-sku=P384537] button")
    page.fill("form.catalogue-edit[data-sku=P384537] input[type=number] >> nth=0", "99.50")
    with page.expect_response(lambda r: "/api/catalogue/products/P384537" in r.url) as saved:
        page.click("form.catalogue-edit[data-sku=P384537] button[type=submit]")
    assert saved.value.status == 200 and saved.value.json()["product"]["price_minor"] == 9950

    # The edit is a version too: wait for the list to show it, since it is drawn again then
    # (a click on the old list's button would be lost).
    page.wait_for_selector(f"[data-testid=catalogue-versions] tr[data-version='{version + 1}']")
    undo = f"[data-testid=catalogue-versions] button[data-version='{version}']"
    page.click(undo)
    with page.expect_response(lambda r: r.url.endswith(f"/versions/{version}/rollback")) as back:
        page.click(undo)
    assert back.value.status == 200 and back.value.json()["deleted"] == ROWS
    page.wait_for_selector(f"tr[data-version='{version}'][data-status=rolled_back]")
    page.click(".catalogue-search button[type=submit]")
    page.wait_for_selector("tr[data-sku=P384537]", state="detached")
    page.context.close()
    assert console.unexpected() == []
