"""The console as a new user would use it, in headless Chromium driven by Selenium.

Usage: console_scenario.py BASE_URL DROP_FOLDER ARTIFACTS_FOLDER
Users: ada (admin, password password-ada) and vic (viewer, password password-vic) exist.
Each page is screenshotted into ARTIFACTS_FOLDER as the scenario goes; the caller keeps them
only when the scenario fails. Exits 0 when every step held, 1 with the failed step otherwise.
"""
import json
import os
import sys
import traceback

from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

base, drop, artifacts = sys.argv[1:4]
os.makedirs(artifacts, exist_ok=True)
options = webdriver.ChromeOptions()
options.binary_location = os.environ["ORCHESTRATOR_TEST_CHROMIUM"]
for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,2000"]:
    options.add_argument(argument)
driver = webdriver.Chrome(service=Service(os.environ["ORCHESTRATOR_TEST_CHROMEDRIVER"]), options=options)
wait = WebDriverWait(driver, 30)
step = "start"
shots = 0


def shot():
    global shots
    shots += 1
    driver.save_screenshot(os.path.join(artifacts, f"{shots:02d}-{step}.png"))


def text_of(selector):
    try:
        return driver.find_element(By.CSS_SELECTOR, selector).text
    except NoSuchElementException:
        return ""


def wait_text(selector, predicate, what):
    wait.until(lambda _: predicate(text_of(selector)), message=f"{what} (last: {text_of(selector)!r})")


def set_value(selector, value):
    element = driver.find_element(By.CSS_SELECTOR, selector)
    driver.execute_script("arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'));", element, value)


def table_rows(body):
    """The cells of a table body, read in one go (tables re-render on live updates)."""
    return driver.execute_script(
        "return [...document.querySelectorAll(arguments[0] + ' tr')].map(r => [...r.cells].map(c => c.textContent))", body
    )


def fetch(method, path, body, csrf):
    """A request from the page itself, with or without the CSRF token: returns the status."""
    return driver.execute_async_script(
        """
        const [method, path, body, csrf, done] = arguments;
        const headers = {'Content-Type': 'application/json'};
        if (csrf) headers['X-CSRF-Token'] = document.querySelector('meta[name=csrf-token]').content;
        fetch(path, {method, headers, body: JSON.stringify(body)}).then(r => done(r.status));
        """,
        method, path, body, csrf,
    )


def sign_in(user, password):
    driver.get(base + "/login")
    driver.find_element(By.ID, "user").send_keys(user)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.ID, "signin").click()
    wait.until(lambda d: d.current_url == base + "/", message=f"{user} is signed in and on the pipelines page")
    shot()


def manifest(path):
    return (
        "apiVersion: orchestrator/v1\nkind: Pipeline\nmetadata: {name: sales, labels: {team: finance}}\nspec:\n"
        f"  watch: {{path: {path}, settle: 0s, include: ['*.csv']}}\n"
        "  run:\n    command: ['/bin/sh', '-c', 'if grep -q fail \"$0\"; then echo \"bad row in $0\"; exit 3; fi', '${file}']\n"
        "    retries: 0\n"
    )


try:
    step = "sign-in"
    driver.get(base + "/")
    wait.until(lambda d: d.current_url.endswith("/login"), message="an anonymous visit is sent to sign in")
    sign_in("ada", "password-ada")

    step = "editor-error"
    driver.get(base + "/new")
    set_value("#name", "sales")
    set_value("#text", manifest("relative/folder"))
    driver.find_element(By.ID, "check").click()
    wait_text("#problems", lambda t: "line 5, column 17" in t and "absolute path" in t, "the error is shown at its line and column")
    shot()

    step = "editor-preview-save"
    set_value("#text", manifest(drop))
    driver.find_element(By.ID, "check").click()
    wait_text("#plan", lambda t: "pipeline sales (db:sales) will be created" in t, "the plan preview")
    shot()
    driver.find_element(By.ID, "save").click()
    wait.until(lambda d: d.current_url.endswith("/pipelines/sales"), message="saved, on the pipeline's page")
    wait_text("#status", lambda t: t.startswith("Ready"), "the daemon applied the pipeline")
    shot()

    step = "upload-succeeds"
    good = os.path.join(artifacts, "q1.csv")
    with open(good, "w") as f:
        f.write("a,b\n1,2\n")
    driver.find_element(By.ID, "upload").send_keys(good)
    wait_text("#follow", lambda t: t == "succeeded", "the uploaded file reaches succeeded without a reload")
    shot()

    step = "hostile-name"
    driver.refresh()
    hostile = os.path.join(artifacts, "<img src=x onerror=\"window.pwned=1\">.csv")
    with open(hostile, "w") as f:
        f.write("a,b\n3,4\n")
    wait.until(lambda d: d.find_element(By.ID, "upload"))
    driver.find_element(By.ID, "upload").send_keys(hostile)
    wait_text("#follow", lambda t: t == "succeeded", "a file named like HTML is processed")
    wait.until(
        lambda d: any(cells and cells[0] == os.path.basename(hostile) for cells in table_rows("#files")),
        message="the HTML-like name is shown as text",
    )
    assert driver.execute_script("return window.pwned === undefined"), "no markup from a file name ran"
    shot()

    step = "upload-fails-and-retry"
    driver.refresh()
    bad = os.path.join(artifacts, "q2.csv")
    with open(bad, "w") as f:
        f.write("a,b\nfail,2\n")
    wait.until(lambda d: d.find_element(By.ID, "upload"))
    driver.find_element(By.ID, "upload").send_keys(bad)
    wait_text("#follow", lambda t: t.startswith("quarantined") and "bad row in" in t, "the failure shows its log tail")
    shot()
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "button.retry"), message="a Retry button for the failed file")
    driver.find_element(By.CSS_SELECTOR, "button.retry").click()
    wait.until(
        lambda d: sum(1 for cells in table_rows("#runs") if len(cells) > 4 and cells[4] == "q2.csv") >= 2,
        message="the retried file ran a second time",
    )
    shot()

    step = "csrf"
    status = fetch("PUT", "/api/v1/pipelines/sales", {"text": manifest(drop), "based_on": 1}, False)
    assert status == 403, f"a PUT without the CSRF token is refused: {status}"

    step = "audit"
    driver.get(base + "/audit")
    wait_text("#events", lambda t: "upload" in t and "create" in t and "retry" in t, "the audit lists the actions")
    shot()

    step = "viewer"
    driver.find_element(By.ID, "logout").click()
    wait.until(lambda d: d.current_url.endswith("/login"), message="signed out")
    sign_in("vic", "password-vic")
    driver.get(base + "/pipelines/sales")
    wait_text("#status", lambda t: t.startswith("Ready"), "the viewer sees the pipeline")
    assert not driver.find_elements(By.ID, "save"), "a viewer has no Save button"
    assert not driver.find_elements(By.ID, "upload"), "a viewer has no upload box"
    status = fetch("PUT", "/api/v1/pipelines/sales", {"text": manifest(drop), "based_on": 1}, True)
    assert status == 403, f"the API refuses a viewer's edit: {status}"
    shot()
    print(json.dumps({"ok": True, "screenshots": shots}))
except Exception:
    try:
        shot()
    except Exception:
        pass
    print(f"step {step} failed on {driver.current_url}:\n{traceback.format_exc()}", file=sys.stderr)
    sys.exit(1)
finally:
    driver.quit()
