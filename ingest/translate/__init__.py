"""Machine translation through deep-translator: MT drafts for originals with no human translation,
and a similarity signal for the aligner. Offline by default (provider "none").

The story of one `Translator.translate` call:
  NFC → answers from the cache → the rest split into single-line pieces that fit one request →
  pieces packed into newline-joined requests within the provider's limit and the run's character
  budget → each request sent through deep-translator's own client, retried with exponential
  backoff on HTTP 429, 5xx, refused connections and timeouts → answers cut back into pieces,
  reassembled, NFC, cached.

Nothing raises into the caller once the Translator is built: a provider that stays down gives
status "pending" (and the Translator stops asking it for the rest of the run), a spent budget gives
"budget_exceeded"; texts translated before that are kept. A bad configuration (unknown provider,
LibreTranslate without a URL, DeepL without a key) raises ValueError when the Translator is built.

One Translator per run: it holds the character budget and remembers a provider that went down.
It is not thread-safe.

The package, by job: `config` (settings, outcomes, the cache protocol), `segmentation` (texts cut
into pieces that fit one request), `transport` (the HTTP hook under deep-translator: timeouts,
statuses, Retry-After, DeepL header auth), `providers` (deep-translator's clients and the
classification of their failures) and `translator` (batching, budget, retries, cache).
"""

from .config import (
                     PROVIDERS,
                     REQUEST_CHARS,
                     REQUEST_URL_BYTES,
                     SEPARATOR,
                     MachineMark,
                     MemoryCache,
                     TranslationCache,
                     TranslationConfig,
                     TranslationOutcome,
                     cache_key,
)
from .translator import Translator, make_translator
from .transport import _deepl_request

__all__ = [
    "PROVIDERS", "REQUEST_CHARS", "REQUEST_URL_BYTES", "SEPARATOR", "MachineMark", "MemoryCache",
    "TranslationCache", "TranslationConfig", "TranslationOutcome", "Translator", "_deepl_request",
    "cache_key", "make_translator",
]
