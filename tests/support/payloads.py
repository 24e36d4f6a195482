"""Visitor text carrying script: each payload would run script if it reached a page as markup."""

SCRIPT = "<script>window.__xss = 1; alert('xss')</script>"
IMG = "<img src=x onerror=\"window.__xss = 1; alert('xss')\">"
PAYLOADS = {
    "name": f"Mallory {IMG}",
    "email": 'mallory"><svg onload=alert(1)>@example.org',
    "question": f"Help {SCRIPT} me",
    "message": f"hi {IMG} {SCRIPT}",
    "page_url": 'https://shop.example/p?q="><script>alert(1)</script>',
}
RAW_MARKERS = ["<script>window.__xss", "<img src=x onerror", "<svg onload"]  # must never appear unescaped
