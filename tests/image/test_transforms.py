"""Kernels and transforms: geometry is right, parameters are per sample, bad input is named."""
import warnings

import pytest
import torch

from aad.image import (
    ElasticDistortion,
    GaussianNoise,
    RandomAffine,
    RandomBrightnessContrast,
    RandomErasing,
    RandomHorizontalFlip,
    RandomMorphology,
    RandomVerticalFlip,
    Warp,
)
from aad.image import functional as Fn


def one(value):
    return torch.tensor([float(value)])


def corner_image(h=6, w=6):
    x = torch.zeros(1, 1, h, w)
    x[0, 0, 0, w - 1] = 1.0  # top-right pixel
    return x


def test_identity_affine_keeps_the_image():
    x = torch.rand(2, 3, 7, 9)
    m = Fn.affine_matrices(torch.zeros(2), torch.zeros(2, 2), torch.ones(2), torch.zeros(2), (7, 9))
    assert torch.allclose(Fn.affine(x, m), x, atol=1e-5)


def test_rotation_is_counter_clockwise_in_degrees():
    x = corner_image()
    m = Fn.affine_matrices(one(90), torch.zeros(1, 2), one(1), one(0), (6, 6))
    assert torch.allclose(Fn.affine(x, m), torch.rot90(x, 1, dims=(2, 3)), atol=1e-5)


def test_translation_is_a_fraction_of_the_size():
    x = torch.rand(1, 1, 8, 8)
    m = Fn.affine_matrices(one(0), torch.tensor([[0.25, 0.0]]), one(1), one(0), (8, 8))
    out = Fn.affine(x, m)
    assert torch.allclose(out[..., 2:], x[..., :-2], atol=1e-5) and out[..., :2].abs().max() < 1e-6


def test_aspect_widens_and_flattens_at_constant_area():
    x = torch.zeros(1, 1, 16, 16)
    x[..., 4:12, 6:10] = 1.0                                            # 8 rows tall, 4 columns wide
    m = Fn.affine_matrices(one(0), torch.zeros(1, 2), one(1), one(0), (16, 16), aspect=one(4))
    out = Fn.affine(x, m)[0, 0]
    assert torch.equal(out[6:10, 5:11], torch.ones(4, 6)) and out[:6].sum() == 0 and out[10:].sum() == 0
    assert torch.isclose(out.sum(), x.sum())                            # 4 rows tall, 8 wide


def test_erase_blanks_exactly_the_box():
    x = torch.ones(2, 1, 5, 5)
    out = Fn.erase(x, torch.tensor([[1, 2, 2, 3], [0, 0, 0, 0]]), 0.0)
    assert out[0].sum() == 25 - 6 and out[0, 0, 1:3, 2:5].sum() == 0 and torch.equal(out[1], x[1])


def test_a_box_too_tall_or_wide_for_the_image_keeps_its_area():
    area, aspect = torch.tensor([1.0, 0.5, 0.5, 0.25]), torch.tensor([3.0, 10.0, 0.1, 1.0])
    height, width = Fn.box_from_area(area, aspect, (16, 24))
    assert height.tolist() == [16, 16, 8, 10] and width.tolist() == [24, 12, 24, 10]   # the last fits as drawn
    out = RandomErasing(area=(1.0, 1.0), p=1.0, seed=0).augment(torch.ones(50, 1, 16, 16))
    assert out.eq(0).all(), "area 1 erases the whole image, whatever the aspect drawn"


def test_zero_displacement_is_identity():
    x = torch.rand(2, 1, 6, 10)
    assert torch.allclose(Fn.elastic(x, torch.zeros(2, 6, 10, 2)), x, atol=1e-5)


def test_elastic_displacement_peaks_at_alpha():
    field = Fn.elastic_displacement((3, 16, 16), torch.tensor([1.0, 2.0, 3.0]), 3.0, torch.Generator().manual_seed(0))
    assert torch.allclose(field.abs().amax(dim=(1, 2, 3)), torch.tensor([1.0, 2.0, 3.0]))
    one_for_all = Fn.elastic_displacement((3, 16, 16), 2.0, 3.0, torch.Generator().manual_seed(0))  # as the others take
    assert torch.allclose(one_for_all.abs().amax(dim=(1, 2, 3)), torch.full((3,), 2.0))
    with pytest.raises(ValueError, match=r"alpha must have shape \[3\]"):
        Fn.elastic_displacement((3, 16, 16), torch.ones(2), 3.0, torch.Generator())


@pytest.mark.parametrize("sigma", [1.0, 4.0, 20.0])  # 20: the kernel outgrows 16 samples, borders replicate
def test_gaussian_blur_matrix_is_the_padded_convolution(sigma):
    v = torch.rand(3, 16)
    radius = max(1, int(3 * sigma))
    t = torch.arange(-radius, radius + 1, dtype=torch.float32)
    kernel = torch.exp(-t ** 2 / (2 * sigma ** 2))
    padded = torch.nn.functional.pad(v[:, None], [radius] * 2, mode="reflect" if radius < 16 else "replicate")
    expected = torch.nn.functional.conv1d(padded, (kernel / kernel.sum()).view(1, 1, -1))[:, 0]
    blur = Fn.gaussian_blur_matrix(16, sigma)
    assert torch.allclose(v @ blur, expected, atol=1e-6)
    assert torch.allclose(torch.ones(16) @ blur, torch.ones(16))       # a constant stays constant


@pytest.mark.parametrize("call, match", [
    (lambda x: Fn.morphology(x, torch.ones(2), 2), "kernel must be an odd positive int, got 2"),
    (lambda x: Fn.morphology(x, torch.ones(3)), r"strength must have shape \[2\] \(one entry per image\)"),
    (lambda x: Fn.adjust_brightness(x, torch.ones(3)), r"factor must have shape \[2\]"),
    (lambda x: Fn.adjust_contrast(x, torch.ones(2, 2)), r"factor must have shape \[2\]"),
    (lambda x: Fn.affine(x[0], torch.eye(2, 3).expand(2, 2, 3)), r"images must be a batch .* \[1, 8, 8\]"),
    (lambda x: Fn.affine(x, torch.eye(3, 3)), r"matrices must have shape \[2, 2, 3\]"),
    (lambda x: Fn.elastic(x, torch.zeros(2, 8, 8)), r"displacement must have shape \[2, 8, 8, 2\]"),
    (lambda x: Fn.erase(x, torch.zeros(2, 3)), r"boxes must have shape \[2, 4\]"),
    (lambda x: Fn.gaussian_noise(x, torch.ones(2), torch.ones(3, 8)), r"noise must have shape \[2, 1, 8, 8\]"),
    (lambda x: Fn.gaussian_blur_matrix(8, 0), r"sigma must be a number in \[0.1, 1000\]"),   # gave NaN
])
def test_kernels_name_a_bad_argument(call, match):
    with pytest.raises(ValueError, match=match):   # they failed deep in torch, or silently made NaN
        call(torch.rand(2, 1, 8, 8))


def test_kernels_take_integer_images_where_values_do_not_matter_and_broadcast_parameters():
    x = torch.full((2, 1, 2, 2), 0.5)
    with pytest.raises(TypeError, match=r"images must be float, got torch.uint8 .* x.float\(\) / 255"):
        Fn.affine((x * 255).byte(), torch.eye(2, 3).expand(2, 2, 3))
    assert torch.equal(Fn.flip((x * 255).byte()), (x * 255).byte())
    brighter = lambda factor: Fn.adjust_brightness(x, factor)[:, 0, 0, 0].tolist()
    assert brighter([1.0, 2.0]) == [0.5, 1.0]            # a list: one value per image
    assert brighter(torch.tensor(2.0)) == [1.0, 1.0]     # one value for all
    assert Fn.gaussian_noise(x, torch.tensor(0.0), torch.ones(1, 1, 2, 2)).equal(x)


def test_morphology_thickens_and_thins_strokes_by_degrees():
    x = torch.zeros(3, 1, 7, 7)
    x[:, :, 3, 1:6] = 1.0                                               # a one-pixel horizontal stroke
    out = Fn.morphology(x, torch.tensor([1.0, 0.5, -1.0]))
    assert torch.equal(out[0, 0, 2:5, 0:7], torch.ones(3, 7))           # full dilation: 3 rows, 1 px longer
    assert torch.allclose(out[1], (x[0] + out[0]) / 2)                  # half: halfway to the dilation
    assert out[2].sum() == 0                                            # full erosion removes a 1-px line
    assert torch.equal(Fn.morphology(x, torch.zeros(3)), x)


@pytest.mark.parametrize("make", [lambda: RandomAffine(seed=0), lambda: ElasticDistortion(seed=0),
                                  lambda: RandomAffine(degrees=(0, 0), scale=(1, 1), translate=(0, 0),
                                                       aspect=(0.5, 2.0), seed=0),
                                  lambda: RandomMorphology(strength=(-1, 1), seed=0),
                                  lambda: GaussianNoise(std=(0.05, 0.2), seed=0),
                                  lambda: RandomBrightnessContrast(seed=0),
                                  lambda: RandomErasing(p=1.0, seed=0)])
def test_parameters_are_drawn_per_sample(make):
    x = torch.rand(1, 1, 16, 16).repeat(8, 1, 1, 1)
    out = make()(x)
    assert len({tuple(o.flatten().tolist()) for o in out}) == 8, "each copy must be transformed differently"


def test_batched_equals_per_sample_kernel():
    t = RandomAffine(degrees=(-40, 40), shear=(-20, 20), seed=0)
    x = torch.rand(5, 2, 9, 11)
    params = t.make_params(5, (2, 9, 11), torch.Generator().manual_seed(1))
    batched = t.apply(x, params)
    single = torch.cat([t.apply(x[i:i + 1], {"matrices": params["matrices"][i:i + 1]}) for i in range(5)])
    assert torch.allclose(batched, single, atol=1e-6)


def test_probability_selects_samples():
    x = torch.rand(64, 1, 4, 4)
    assert torch.equal(RandomHorizontalFlip(p=0.0, seed=0)(x), x)
    assert torch.equal(RandomHorizontalFlip(p=1.0, seed=0)(x), x.flip(-1))
    flipped = (RandomHorizontalFlip(p=0.5, seed=0)(x) != x).flatten(1).any(1).float().mean()
    assert 0.25 < flipped < 0.75


def test_vertical_flip_turns_images_upside_down():
    x = torch.rand(4, 1, 5, 6)
    assert torch.equal(RandomVerticalFlip(p=1.0, seed=0)(x), x.flip(-2))


def test_brightness_scales_and_contrast_stretches_about_the_mean_within_0_1():
    x = torch.rand(4, 3, 5, 5) * 0.8 + 0.1
    assert torch.allclose(RandomBrightnessContrast(brightness=(2, 2), contrast=(1, 1), seed=0)(x),
                          (2 * x).clamp(0, 1))
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    assert torch.allclose(RandomBrightnessContrast(brightness=(1, 1), contrast=(0.5, 0.5), seed=0)(x),
                          (x - mean) * 0.5 + mean)


def test_gaussian_noise_has_the_drawn_std_and_stays_in_0_1():
    x = torch.full((2, 1, 64, 64), 0.5)
    out = GaussianNoise(std=(0.1, 0.1), seed=0)(x)
    assert (out - x).std().item() == pytest.approx(0.1, rel=0.05)
    loud = GaussianNoise(std=(2.0, 2.0), seed=0)(x)
    assert loud.min() == 0 and loud.max() == 1


@pytest.mark.parametrize("augmenter, name", [(RandomAffine(degrees=(10, -10)), "degrees"),
                                             (RandomAffine(scale=(0, 1)), "scale"),
                                             (RandomAffine(aspect=(0, 2)), "aspect"),
                                             (RandomErasing(area=(0.1, 2)), "area"),
                                             (ElasticDistortion(sigma=0), "sigma"),
                                             (ElasticDistortion(sigma=1e-30), "sigma"),   # NaN images
                                             (ElasticDistortion(sigma=1e6), "sigma"),     # 9 s, 1.4 GB
                                             (RandomMorphology(strength=(0, 2)), "strength"),
                                             (RandomMorphology(kernel=2), "kernel"),
                                             (GaussianNoise(p=1.5), "p")])
def test_bad_parameters_are_named(augmenter, name):
    with pytest.raises(ValueError, match=name):
        augmenter(torch.rand(2, 1, 8, 8))


@pytest.mark.parametrize("augmenter, words", [
    (RandomAffine(fill=float("nan")), "fill"),
    (RandomAffine(degrees=(float("nan"), 1)), r"degrees\[0\]"),
    (RandomAffine(scale=(1, float("inf"))), r"scale\[1\] must be a finite number"),
    (RandomAffine(aspect=(1, float("inf"))), r"aspect\[1\] must be a finite number"),
    (RandomErasing(aspect=(1, float("inf"))), r"aspect\[1\] must be a finite number"),
    (RandomErasing(value=float("nan")), "value"),
    (ElasticDistortion(alpha=(1, float("inf"))), r"alpha\[1\] must be a finite number"),
    (ElasticDistortion(sigma=float("inf")), "sigma must be a finite number"),
    (GaussianNoise(std=(0, float("inf"))), r"std\[1\] must be a finite number"),
    (RandomBrightnessContrast(brightness=(float("nan"), 1)), r"brightness\[0\]"),
    (RandomBrightnessContrast(contrast=(1, float("inf"))), r"contrast\[1\] must be a finite number"),
])
def test_non_finite_parameters_are_named(augmenter, words):
    with pytest.raises(ValueError, match=words):
        augmenter(torch.rand(2, 1, 8, 8))


@pytest.mark.parametrize("augmenter, words", [   # the first four made NaN images: float32 overflows
    (RandomAffine(scale=(1e39, 1e39)), r"scale\[0\] must be in \[0.01, 100\], got 1e\+39"),
    (RandomAffine(scale=(1e-40, 1)), r"scale\[0\] must be in \[0.01, 100\]"),
    (RandomAffine(aspect=(1, 1e39)), r"aspect\[1\] must be in \[0.01, 100\]"),
    (ElasticDistortion(alpha=(1, 1e39)), r"alpha\[1\] must be in \[0, 1000\]"),
    (RandomErasing(aspect=(1e-3, 1)), r"aspect\[0\] must be in \[0.01, 100\]"),
    (GaussianNoise(std=(0, 1e3)), r"std\[1\] must be in \[0, 100\]"),
    (RandomBrightnessContrast(brightness=(1, 1e39)), r"brightness\[1\] must be in \[0, 100\]"),
    (RandomBrightnessContrast(contrast=(1, 1e39)), r"contrast\[1\] must be in \[0, 100\]"),
])
def test_parameters_beyond_any_use_are_named(augmenter, words):
    with pytest.raises(ValueError, match=words):
        augmenter(torch.rand(2, 1, 8, 8))


def test_single_number_degrees_and_translate_mean_symmetric_ranges():
    x = torch.rand(4, 1, 8, 8)
    scalar = RandomAffine(degrees=15, translate=0.1, seed=0)(x)
    assert torch.equal(scalar, RandomAffine(degrees=(-15, 15), translate=(-0.1, 0.1), seed=0)(x))
    with pytest.raises(ValueError, match=r"degrees as a single number v means \(-v, v\): v must be in \[0, 360\]"):
        RandomAffine(degrees=-15)(x)
    with pytest.raises(ValueError, match=r"v must be in \[0, 1\], got 5$"):   # it quoted -5, not what was given
        RandomAffine(translate=5)(x)


def test_images_that_require_grad_pass_without_a_warning():
    x = torch.rand(2, 1, 8, 8, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")   # "Converting a tensor with requires_grad=True to a scalar"
        out = RandomAffine(seed=0).augment(x)
    out.sum().backward()
    assert x.grad is not None


@pytest.mark.parametrize("augmenter, words", [
    (RandomAffine(scale=1.1), r"scale must be a \(min, max\) pair of numbers, got 1.1"),
    (RandomAffine(shear="10"), r"shear must be a \(min, max\) pair"),
    (RandomAffine(p=None), r"p must be a finite number in \[0, 1\], got None"),
    (RandomErasing(value="rand"), r'value must be a number in \[0, 1\] or "random", got \'rand\''),
    (RandomMorphology(kernel=True), "kernel must be an odd positive int, got True"),
])
def test_mistyped_parameters_are_named(augmenter, words):
    with pytest.raises(ValueError, match=words):
        augmenter(torch.rand(2, 1, 8, 8))


@pytest.mark.parametrize("make", [lambda fill: RandomAffine(degrees=(-45, 45), fill=fill, seed=0),
                                  lambda fill: ElasticDistortion(fill=fill, seed=0)])
def test_fill_keeps_pixels_in_unit_range(make):
    x = torch.cat([torch.ones(32, 1, 28, 28), torch.zeros(32, 1, 28, 28)])
    for fill in (0.3, 0.7):
        out = make(fill)(x)
        assert out.min() >= 0 and out.max() <= 1, f"fill={fill}: shifting by fill rounds outside [0, 1]"


def test_fill_zero_samples_the_image_unshifted():
    # fill 0 must stay a plain grid_sample: recorded results depend on its exact outputs
    x, m = torch.rand(3, 1, 9, 9), torch.randn(3, 2, 3) * 0.5
    plain = torch.nn.functional.grid_sample(x, Fn.affine_grid(m, (9, 9)), align_corners=False)
    assert torch.equal(Fn.affine(x, m, 0.0), plain)


@pytest.mark.parametrize("x, error, words", [
    (torch.rand(1, 8, 8), ValueError, "B, C, H, W"),
    ((torch.rand(2, 1, 8, 8) * 255).to(torch.uint8), TypeError, "float"),
    (torch.rand(2, 1, 8, 8) * 2, ValueError, r"\[0, 1\]"),
    (torch.full((2, 1, 8, 8), float("nan")), ValueError, "NaN"),
    (torch.rand(0, 1, 8, 8), ValueError, "empty"),
])
def test_bad_images_are_named(x, error, words):
    with pytest.raises(error, match=words):
        RandomAffine(seed=0)(x)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_matches_cpu():
    x = torch.rand(4, 1, 12, 12)
    t = RandomAffine(seed=0)
    out = t(x.cuda(), rng=0)
    assert out.device.type == "cuda" and torch.allclose(out.cpu(), t(x, rng=0), atol=1e-5)


def test_fast_affine_grid_matches_torch():
    import torch.nn.functional as F

    m = torch.randn(4, 2, 3)
    assert torch.allclose(Fn.affine_grid(m, (5, 7)), F.affine_grid(m, [4, 1, 5, 7], align_corners=False), atol=1e-5)


def test_random_erasing_noise_is_drawn_per_channel():
    x = torch.zeros(4, 3, 16, 16)
    out = RandomErasing(area=(0.2, 0.2), value="random", p=1.0, seed=0).augment(x)
    erased = out.ne(0).any(1)                                      # [B, H, W]
    r, g = out[:, 0][erased], out[:, 1][erased]
    assert len(r) > 100 and not torch.allclose(r, g), "colour noise, not grey"


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_images_are_warped_in_float32(dtype):
    """The CPU's grid_sample gave NaNs on half-precision images (or crashed, from ~256 px), and their
    grid misplaced pixels: identity warps must give the image back (to its dtype's rounding)."""
    x = torch.rand(1, 1, 180, 180, generator=torch.Generator().manual_seed(0)).to(dtype)
    still = RandomAffine(degrees=0, translate=0, scale=(1, 1), seed=0)(x)
    unmoved = Fn.elastic(x, torch.zeros(1, 180, 180, 2))
    for out in (still, unmoved):
        assert out.dtype == dtype
        # float32's grid is off by ~1e-5 px, which can round a value to its dtype's next one
        torch.testing.assert_close(out, x, rtol=torch.finfo(dtype).eps, atol=1e-4)


def test_transforms_of_different_kinds_seeded_alike_draw_apart():
    """Both seeded 0, a horizontal and a vertical flip picked the same images: never one without the other."""
    x = torch.rand(400, 1, 4, 4)
    flipped = lambda cls: (cls(p=0.5, seed=0).augment(x) != x).flatten(1).any(1)
    horizontal, vertical = flipped(RandomHorizontalFlip), flipped(RandomVerticalFlip)
    assert 0.3 < (horizontal != vertical).float().mean() < 0.7, "independent choices differ about half the time"
    assert torch.equal(horizontal, flipped(RandomHorizontalFlip)), "one kind and seed still repeat"


# ---- Warp: geometric transforms chained into one resampling ---------------------------------------
def ramp_images(b=4, size=28):
    """Linear in x and y: bilinear reads of it are exact, so one read and two agree inside the image."""
    t = torch.linspace(0.1, 0.9, size)
    return (0.5 * t[None, :] + 0.5 * t[:, None]).expand(b, 1, size, size).contiguous()


def stroke_images(b=8, size=28):
    """Digit-like: 2-pixel bars at full ink on black, no grey."""
    x = torch.zeros(b, 1, size, size)
    x[:, :, 6:22, 13:15] = 1.0
    x[:, :, 6:8, 9:19] = 1.0
    return x


def grey_share(x):
    ink = x > 0.1
    return float((ink & (x < 0.9)).sum() / ink.sum())


def test_a_warp_of_affine_then_elastic_is_the_two_applied_in_turn_read_once():
    x = ramp_images()
    affine, elastic = RandomAffine(degrees=5, translate=0.02, scale=(0.95, 1.05)), ElasticDistortion(alpha=(1, 1.5))
    warp = Warp([affine, elastic], interpolation="bilinear")
    params = warp.make_params(len(x), tuple(x.shape[1:]), torch.Generator().manual_seed(0))
    (_, affine_params), (_, elastic_params) = params["steps"]
    in_turn = elastic.apply(affine.apply(x, affine_params), elastic_params)
    inner = (slice(None), slice(None), slice(5, 23), slice(5, 23))   # away from the fill at the borders
    assert torch.allclose(warp.apply(x, params)[inner], in_turn[inner], atol=1e-5)


def test_warp_read_once_bicubic_keeps_strokes_sharp():
    x, g = stroke_images(), torch.Generator
    shape_warps = [RandomAffine(shear=(-15.0, 15.0), aspect=(0.75, 1.33)), ElasticDistortion()]
    twice_bilinear = Warp(shape_warps, interpolation="bilinear")   # the same maps, read as Compose would...
    params = twice_bilinear.make_params(len(x), tuple(x.shape[1:]), g().manual_seed(0))
    (_, affine_params), (_, elastic_params) = params["steps"]
    blurred = shape_warps[1].apply(shape_warps[0].apply(x, affine_params), elastic_params)   # ...in two reads
    sharp = Warp(shape_warps).apply(x, params)
    assert grey_share(sharp) < grey_share(blurred) - 0.1
    assert 0 <= sharp.min() and sharp.max() <= 1   # bicubic overshoot is clamped


def test_each_warp_keeps_its_own_p_and_an_unwarped_image_is_unchanged():
    x = torch.rand(6, 1, 9, 9)
    assert torch.equal(Warp([RandomAffine(p=0.0)]).augment(x, rng=0), x)   # not read again through the identity
    half = Warp([RandomAffine(degrees=(40, 50), p=0.5)]).augment(x, rng=1)
    unchanged = [torch.equal(a, b) for a, b in zip(half, x)]
    assert 0 < sum(unchanged) < len(x)


def test_warp_is_seeded_saved_and_loaded(tmp_path):
    from aad import Augmenter

    x = stroke_images()
    warp = Warp([RandomAffine(shear=(-15.0, 15.0)), ElasticDistortion()], seed=3)
    warp.save(tmp_path / "warp")
    loaded = Augmenter.load(tmp_path / "warp")
    assert torch.equal(loaded.augment(x, rng=5), warp.augment(x, rng=5))
    assert not torch.equal(warp.augment(x, rng=5), warp.augment(x, rng=6))


@pytest.mark.parametrize("warp, error, match", [
    (Warp([RandomErasing()]), TypeError, r"warps\[0\] must be a geometric transform .* got RandomErasing"),
    (Warp([]), TypeError, "warps must be a non-empty list"),
    (Warp(RandomAffine()), TypeError, "warps must be a non-empty list"),
    (Warp([RandomAffine()], interpolation="cubic"), ValueError, "interpolation must be"),
    (Warp([RandomAffine(degrees=(5, -5))]), ValueError, "degrees"),
])
def test_bad_warps_are_named(warp, error, match):
    with pytest.raises(error, match=match):
        warp.augment(torch.rand(2, 1, 8, 8))


def test_warps_fill_is_the_one_used_and_one_matrix_serves_a_batch():
    x = torch.zeros(2, 1, 8, 8)
    shifted = Warp([RandomAffine(degrees=0, translate=(0.5, 0.5), scale=(1, 1), fill=0.0)], fill=0.5,
                   interpolation="bilinear").augment(x, rng=0)
    assert shifted[:, :, :3, :3].eq(0.5).all(), "pixels from outside take Warp's fill, not the child's"
    points = Fn.identity_points(x)
    assert torch.allclose(Fn.affine_points(torch.eye(2, 3), points), points)
    assert torch.allclose(Fn.elastic_points(torch.zeros(8, 8, 2), points), points)
