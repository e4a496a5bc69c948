"""Sign-in for the field and review pages: Streamlit OIDC when configured, else passphrases."""

from __future__ import annotations

import os

import streamlit as st

from app.domain.roles import FIELD, REVIEWER, Identity, check_passphrase, roles_for_email

_TEXT = {
    "zh": {
        "need": "此操作需要{role}身份。",
        "field": "现场核查组", "reviewer": "审核人",
        "login_oidc": "使用单位账号登录", "logout": "退出登录",
        "name": "姓名", "team": "小组/单位", "passphrase": "口令", "sign_in": "登录",
        "wrong": "口令不正确。", "no_name": "请填写姓名。",
        "not_configured": "尚未配置{role}的登录方式(OIDC 或口令),见 README“权限与登录”。",
        "not_granted": "账号 {email} 没有{role}权限。",
        "signed_in": "已登录:{name}({team})",
    },
    "en": {
        "need": "This needs the {role} role.",
        "field": "field team", "reviewer": "reviewer",
        "login_oidc": "Sign in with your organisation account", "logout": "Sign out",
        "name": "Name", "team": "Team", "passphrase": "Passphrase", "sign_in": "Sign in",
        "wrong": "Wrong passphrase.", "no_name": "Please enter your name.",
        "not_configured": "No sign-in is configured for the {role} role (OIDC or passphrase); see README, 'Roles and sign-in'.",
        "not_granted": "The account {email} does not have the {role} role.",
        "signed_in": "Signed in: {name} ({team})",
    },
}


def _secrets() -> dict:
    try:
        if not st.secrets.load_if_toml_exists():
            return {}
        return {k: st.secrets[k] for k in st.secrets}
    except (FileNotFoundError, KeyError):
        return {}


def _passphrase(role: str) -> str | None:
    atlas = _secrets().get("atlas", {})
    key = {FIELD: "field_secret", REVIEWER: "review_secret"}[role]
    env = {FIELD: "ATLAS_FIELD_SECRET", REVIEWER: "ATLAS_REVIEW_SECRET"}[role]
    return atlas.get(key) or os.environ.get(env) or None


def _oidc_configured() -> bool:
    return "auth" in _secrets()


def identity() -> Identity | None:
    """The signed-in identity of this session, if any."""
    if _oidc_configured() and getattr(st.user, "is_logged_in", False):
        roles = roles_for_email(st.user.get("email"), _secrets().get("atlas", {}).get("roles", {}))
        return Identity(name=str(st.user.get("name") or st.user.get("email")),
                        team=str(st.user.get("email") or ""), roles=roles, method="oidc")
    return st.session_state.get("_identity")


def require(role: str, lang: str) -> Identity | None:
    """The identity if it holds `role`; otherwise show how to sign in and return None."""
    text = _TEXT[lang]
    who = identity()
    if who is not None and who.can(role):
        cols = st.columns([4, 1])
        cols[0].caption(text["signed_in"].format(name=who.name, team=who.team))
        if cols[1].button(text["logout"], key=f"logout_{role}"):
            if who.method == "oidc":
                st.logout()
            st.session_state.pop("_identity", None)
            st.rerun()
        return who
    st.info(text["need"].format(role=text[role]))
    if _oidc_configured():
        if who is not None and who.method == "oidc":
            st.error(text["not_granted"].format(email=who.team, role=text[role]))
        else:
            st.button(text["login_oidc"], on_click=st.login, key=f"oidc_{role}")
        return None
    expected = _passphrase(role)
    if not expected:
        st.warning(text["not_configured"].format(role=text[role]))
        return None
    with st.form(f"signin_{role}"):
        name = st.text_input(text["name"], key=f"signin_name_{role}")
        team = st.text_input(text["team"], key=f"signin_team_{role}")
        given = st.text_input(text["passphrase"], type="password", key=f"signin_pass_{role}")
        if st.form_submit_button(text["sign_in"], width="stretch"):
            if not name.strip():
                st.error(text["no_name"])
            elif not check_passphrase(given, expected):
                st.error(text["wrong"])
            else:
                held = set(who.roles) if who else set()
                st.session_state["_identity"] = Identity(name.strip(), team.strip(),
                                                         frozenset(held | {role}), "passphrase")
                st.rerun()
    return None
