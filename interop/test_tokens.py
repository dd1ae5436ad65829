"""OnAir's media tokens, checked by LiveKit's own `livekit-api` TokenVerifier."""

from livekit import api
from livekit.api.access_token import Claims

from platform_client import PlatformClient


def verify(onair, token: str) -> Claims:
    return api.TokenVerifier(onair.api_key, onair.api_secret).verify(token)


def test_creator_token_grants_publish_in_the_streams_room_only(onair):
    creator = PlatformClient(onair.http_url)
    me = creator.signup(name="Creator")
    stream = creator.create_stream(title="Tokens")

    answer = creator.token(stream["id"])
    assert answer["role"] == "creator"
    assert answer["identity"] == me["id"]
    assert answer["serverUrl"] == onair.ws_url

    claims = verify(onair, answer["token"])
    assert claims.identity == me["id"]
    assert claims.name == "Creator"
    video = claims.video
    assert video.room_join is True
    assert video.room == stream["roomName"]
    assert video.can_publish is True
    assert video.can_subscribe is True
    assert video.can_publish_data is True
    assert sorted(video.can_publish_sources) == sorted(
        ["camera", "microphone", "screen_share", "screen_share_audio"]
    )


def test_viewer_and_guest_tokens_are_subscribe_only(onair):
    creator = PlatformClient(onair.http_url)
    creator.signup(name="Creator")
    stream = creator.create_stream(title="Watch me")

    viewer = PlatformClient(onair.http_url)
    viewer.signup(name="Viewer")
    signed_in = viewer.token(stream["id"])
    assert signed_in["role"] == "viewer"
    claims = verify(onair, signed_in["token"])
    assert claims.video.room == stream["roomName"]
    assert claims.video.can_subscribe is True
    assert claims.video.can_publish is False
    assert claims.video.can_publish_data is True  # chat for signed-in viewers

    guest = PlatformClient(onair.http_url).token(stream["id"])
    assert guest["role"] == "viewer"
    assert guest["identity"].startswith("guest-")
    claims = verify(onair, guest["token"])
    assert claims.video.can_publish is False
    assert claims.video.can_publish_data is False


def test_a_token_signed_with_another_secret_is_rejected_by_the_verifier(onair):
    creator = PlatformClient(onair.http_url)
    creator.signup()
    stream = creator.create_stream()
    token = creator.token(stream["id"])["token"]
    try:
        api.TokenVerifier(onair.api_key, "not-the-secret-" * 3).verify(token)
    except Exception:
        return
    raise AssertionError("a token verified with the wrong secret must be rejected")
