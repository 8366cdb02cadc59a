"""Where every data file lives and what its bytes must hash to.

The digests are copied from the dataset mirror's README (``shared/datasets``)
and were checked against the canonical files. A file whose digest differs is
never used.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["RemoteFile", "REGISTRY", "DATASET_FILES"]

_UCI = "https://archive.ics.uci.edu/ml/machine-learning-databases"
_COMPAS = (
    "https://raw.githubusercontent.com/propublica/compas-analysis/"
    "bafff5da3f2e45eca6c2d5055faad269defd135a"
)
_ELECTIONS = (
    "https://raw.githubusercontent.com/tonmcg/US_County_Level_Election_Results_08-20/"
    "f6d841cec420609074cbc57306752251ae2faff8"
)
_FACTS = (
    "https://raw.githubusercontent.com/aliciapj/xai-genz/"
    "ce1e63c62d7fed0a64dca891ae4ba795ceb0ddef/usa_presidential_election_data"
)
_FASHION = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com"


@dataclass(frozen=True)
class RemoteFile:
    """One file of a dataset.

    Attributes
    ----------
    key : str
        Path relative to the mirror folder and to the cache, e.g.
        ``"adult/adult.data"``.
    url : str
        Canonical download location.
    sha256 : str
        Digest of the file's bytes; for ``gzipped`` files, of the
        *decompressed* bytes (Debian recompresses them, so only the content
        digest is stable).
    gzipped : bool
        Whether the file is served gzip-compressed (``url`` and mirror copies
        then end in ``.gz``; ``key`` names the decompressed file).
    """

    key: str
    url: str
    sha256: str
    gzipped: bool = False

    @property
    def dataset(self) -> str:
        return self.key.split("/", 1)[0]


_FILES = [
    RemoteFile("adult/adult.data", f"{_UCI}/adult/adult.data",
               "5b00264637dbfec36bdeaab5676b0b309ff9eb788d63554ca0a249491c86603d"),
    RemoteFile("adult/adult.test", f"{_UCI}/adult/adult.test",
               "a2a9044bc167a35b2361efbabec64e89d69ce82d9790d2980119aac5fd7e9c05"),
    RemoteFile("adult/adult.names", f"{_UCI}/adult/adult.names",
               "c248284c0b5de30c9e1958d6cdd168a34a654758b620e68f46aefa83fc0a576a"),
    RemoteFile("compas/compas-scores-two-years.csv",
               f"{_COMPAS}/compas-scores-two-years.csv",
               "c451db85908b2f7fef1d83203bedf6b71ecda0d5af468d82ae62178f91d0cc7d"),
    RemoteFile("german/german.data", f"{_UCI}/statlog/german/german.data",
               "b21f3d81db8071257d5ff1deaeba1fd4303b62712e6fcc9715c7a86202cb5871"),
    RemoteFile("elections/US_County_Level_Presidential_Results_12-16.csv",
               f"{_ELECTIONS}/US_County_Level_Presidential_Results_12-16.csv",
               "23fd5ae02031d3f4a071efb0cac281e628ab7872d8545259d5a7944089e8369d"),
    RemoteFile("elections/county_facts.csv", f"{_FACTS}/county_facts.csv",
               "e26e671e82514442c466220380f64f49d8812f84f2f170328d2c630f16386f32"),
    RemoteFile("elections/county_facts_dictionary.csv",
               f"{_FACTS}/county_facts_dictionary.csv",
               "3119857c5b15ff1a413d3c59e4795b19198205543442e7fabd2d5be30af3671b"),
    RemoteFile("maps/us-10m.json",
               "https://cdn.jsdelivr.net/npm/vega-datasets@2.11.0/data/us-10m.json",
               "1f20340f18e02998937e1b086405ca6a16e6529e50af75d397452b695180164d"),
    RemoteFile("fashion-mnist/train-images-idx3-ubyte",
               f"{_FASHION}/train-images-idx3-ubyte.gz",
               "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
               gzipped=True),
    RemoteFile("fashion-mnist/train-labels-idx1-ubyte",
               f"{_FASHION}/train-labels-idx1-ubyte.gz",
               "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
               gzipped=True),
    RemoteFile("fashion-mnist/t10k-images-idx3-ubyte",
               f"{_FASHION}/t10k-images-idx3-ubyte.gz",
               "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
               gzipped=True),
    RemoteFile("fashion-mnist/t10k-labels-idx1-ubyte",
               f"{_FASHION}/t10k-labels-idx1-ubyte.gz",
               "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
               gzipped=True),
]

#: Every known file, by key.
REGISTRY: dict[str, RemoteFile] = {f.key: f for f in _FILES}

#: Keys of the files each dataset needs, by dataset name.
DATASET_FILES: dict[str, list[str]] = {}
for _f in _FILES:
    DATASET_FILES.setdefault(_f.dataset, []).append(_f.key)
