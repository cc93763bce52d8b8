"""Class tables and label-id mappings (stdc_tf.data.labels)."""
from __future__ import annotations

import numpy as np
import pytest

from stdc_tf.data.labels import (
    CAMVID,
    CITYSCAPES,
    DatasetInfo,
    camvid_label_lut,
    cityscapes_label_lut,
    cityscapes_train_to_label_id,
    remap_ignore_lut,
)


def test_cityscapes_table_comes_from_cityscapesscripts():
    assert CITYSCAPES.num_classes == 19
    assert CITYSCAPES.class_names[0] == "road" and CITYSCAPES.class_names[18] == "bicycle"
    assert CITYSCAPES.palette[0] == (128, 64, 128)
    assert CITYSCAPES.ignore_index == 255


@pytest.mark.parametrize("label_id, train_id", [(7, 0), (8, 1), (23, 10), (26, 13), (33, 18),
                                                (0, 255), (1, 255), (4, 255), (255, 255)])
def test_cityscapes_label_lut(label_id, train_id):
    lut = cityscapes_label_lut()
    assert lut.dtype == np.uint8 and lut.shape == (256,)
    assert lut[label_id] == train_id


def test_cityscapes_train_to_label_id_inverts_the_lut():
    lut, inverse = cityscapes_label_lut(), cityscapes_train_to_label_id()
    train_ids = np.arange(19)
    np.testing.assert_array_equal(lut[inverse[train_ids]], train_ids)
    assert inverse[13] == 26 and inverse[255] == 0


def test_camvid_void_and_above_are_ignored():
    lut = camvid_label_lut()
    assert CAMVID.num_classes == 11 and CAMVID.class_names[0] == "Sky"
    np.testing.assert_array_equal(lut[:11], np.arange(11))
    assert lut[11] == 255 and lut[12] == 255 and lut[255] == 255


def test_remap_ignore_lut_only_moves_the_ignore_value():
    lut = remap_ignore_lut(200)
    assert lut[200] == 255 and lut[3] == 3 and lut[201] == 201


def test_dataset_info_rejects_inconsistent_tables():
    with pytest.raises(ValueError, match="2 class names but 1 palette"):
        DatasetInfo("x", ("a", "b"), ((0, 0, 0),))
    with pytest.raises(ValueError, match="ignore_index 1 is also a class"):
        DatasetInfo("x", ("a", "b"), ((0, 0, 0), (1, 1, 1)), ignore_index=1)
