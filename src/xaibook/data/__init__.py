"""Verified, cached loaders for every dataset in the book.

Each loader fetches its files (cache → ``XAIBOOK_DATA_MIRROR`` → Debian package
for Fashion-MNIST → network), checks their SHA-256 digests, parses them into
tidy, typed frames and checks the schema. See :mod:`xaibook.data.fetch`
for where files are looked for and the environment variables that steer it.
"""

from xaibook.data.adult import ADULT_COLUMNS, ADULT_ROWS, load_adult, parse_adult
from xaibook.data.cards import DatasetCard, card_markdown, cards_table, dataset_card, dataset_cards
from xaibook.data.compas import COMPAS_ROWS, load_compas, parse_compas
from xaibook.data.elections import JoinReport, load_elections, load_us_counties_topojson
from xaibook.data.errors import ChecksumError, DataError, DatasetUnavailableError, SchemaError
from xaibook.data.fashion_mnist import FASHION_MNIST_CLASSES, FashionMNIST, load_fashion_mnist
from xaibook.data.fetch import data_home, fetch_dataset, fetch_file, mirror_dir, verify_cache
from xaibook.data.german import GERMAN_CODES, GERMAN_ROWS, load_german, parse_german

__all__ = [
    "ADULT_COLUMNS", "ADULT_ROWS", "COMPAS_ROWS", "GERMAN_CODES", "GERMAN_ROWS",
    "FASHION_MNIST_CLASSES", "card_markdown", "cards_table", "ChecksumError", "DataError", "DatasetCard",
    "DatasetUnavailableError", "FashionMNIST", "JoinReport", "SchemaError",
    "data_home", "dataset_card", "dataset_cards", "fetch_dataset", "fetch_file",
    "load_adult", "load_compas", "load_elections", "load_fashion_mnist", "load_german",
    "load_us_counties_topojson", "mirror_dir", "parse_adult", "parse_compas",
    "parse_german", "verify_cache",
]
