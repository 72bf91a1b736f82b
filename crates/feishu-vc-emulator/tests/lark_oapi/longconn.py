"""The official Python SDK's long-connection client (lark-oapi) against the emulator.

Books a reservation over the Open API, connects `lark.ws.Client` with its `domain` pointed at the
emulator, starts the meeting through the control API, and exits 0 once the SDK's typed handler
has received `vc.meeting.meeting_started_v1` for that meeting (1 after 60 s without it).

Usage: python longconn.py BASE_URL APP_ID APP_SECRET OWNER_OPEN_ID
"""

import json
import os
import sys
import threading
import time
import urllib.request

import lark_oapi as lark

BASE, APP_ID, APP_SECRET, OWNER = sys.argv[1:5]


def post(path, body, token=None):
    request = urllib.request.Request(
        BASE + path,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    if token:
        request.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


token = post(
    "/open-apis/auth/v3/tenant_access_token/internal",
    {"app_id": APP_ID, "app_secret": APP_SECRET},
)["tenant_access_token"]
reserve = post(
    "/open-apis/vc/v1/reserves/apply?user_id_type=open_id",
    {
        "end_time": str(int(time.time()) + 3600),
        "owner_id": OWNER,
        "meeting_settings": {"topic": "lark-oapi long connection"},
    },
    token,
)["data"]["reserve"]
print("booked", reserve["id"], "meeting", reserve["meeting_no"], flush=True)


def on_started(data):
    meeting = data.event.meeting
    print("lark-oapi received", data.header.event_type, "for meeting", meeting.meeting_no, flush=True)
    if meeting.meeting_no == reserve["meeting_no"]:
        # Let the SDK send its acknowledgement first.
        threading.Timer(0.5, lambda: os._exit(0)).start()


handler = (
    lark.EventDispatcherHandler.builder("", "")
    .register_p2_vc_meeting_meeting_started_v1(on_started)
    .build()
)


def drive():
    # The meeting starts once the SDK has had time to connect; events queue until it has.
    time.sleep(2)
    post("/_emulator/reserves/%s/meeting" % reserve["id"], {})
    print("meeting started through the control API", flush=True)


def give_up():
    print("no meeting_started_v1 reached lark-oapi within 60 s", file=sys.stderr, flush=True)
    os._exit(1)


threading.Thread(target=drive, daemon=True).start()
threading.Timer(60, give_up).start()
lark.ws.Client(
    APP_ID,
    APP_SECRET,
    event_handler=handler,
    domain=BASE,
    log_level=lark.LogLevel.INFO,
).start()
