"""torch.special's Bessel functions: bessel_j0, bessel_j1, bessel_y0, bessel_y1,
modified_bessel_i0, modified_bessel_i1, modified_bessel_k0, modified_bessel_k1,
scaled_modified_bessel_k0, scaled_modified_bessel_k1 and spherical_bessel_j0.

torch computes them with Cephes's approximations (aten/src/ATen/native/Math.h): rational
functions of x² below a breakpoint and of (5/x)² above it for J and Y, Chebyshev series summed
by Clenshaw's recurrence for I and K. The tables below are those published coefficients; the
arithmetic runs in the input's float dtype, in torch's order with its fused multiply-adds
(ops/cephes.py), so results round as torch's do, within a few ulps (sin, cos, exp, log and
sqrt are taken in float64 and rounded, as the C library's float versions are). torch gives
them no derivative (non_differentiable in derivatives.yaml): the results never require grad."""

import numpy as np

from ..dtypes import get_default_dtype
from ..function import Function
from ..grad_mode import no_grad
from ..tensor import Tensor
from .cephes import chebyshev, const, horner, libm

__all__ = [
    "bessel_j0",
    "bessel_j1",
    "bessel_y0",
    "bessel_y1",
    "modified_bessel_i0",
    "modified_bessel_i1",
    "modified_bessel_k0",
    "modified_bessel_k1",
    "scaled_modified_bessel_k0",
    "scaled_modified_bessel_k1",
    "spherical_bessel_j0",
]

# Cephes's coefficients as torch's Math.h gives them, the highest power (or the first
# Chebyshev term) first; Y shares J's asymptotic P and Q, the scaled K the K tables.
# fmt: off
_J0_PP = (
    0.0007969367292973471, 0.08283523921074408, 1.239533716464143, 5.447250030587687,
    8.74716500199817, 5.303240382353949, 1.0
)
_J0_PQ = (
    0.0009244088105588637, 0.08562884743544745, 1.2535274390105895, 5.470977403304171,
    8.761908832370695, 5.306052882353947, 1.0
)
_J0_QP = (
    -0.011366383889846916, -1.2825271867050931, -19.553954425773597, -93.20601521237683,
    -177.68116798048806, -147.07750515495118, -51.41053267665993, -6.050143506007285
)
_J0_QQ = (
    64.3178256118178, 856.4300259769806, 3882.4018360540163, 7240.467741956525, 5930.727011873169,
    2062.0933166032783, 242.0057402402914
)
_J0_RP = (
    -4794432209.782018, 1956174919465.5657, -249248344360967.72, 9708622510473064.0
)
_J0_RQ = (
    499.563147152651, 173785.4016763747, 48440965.83399621, 11185553704.535683, 2112775201154.892,
    310518229857422.56, 3.1812195594320496e+16, 1.7108629408104315e+18
)
_J1_PP = (
    0.0007621256162081731, 0.07313970569409176, 1.1271960812968493, 5.112079511468076,
    8.424045901417724, 5.214515986823615, 1.0
)
_J1_PQ = (
    0.0005713231280725487, 0.06884559087544954, 1.105142326340617, 5.073863861286015,
    8.399855543276042, 5.209828486823619, 1.0
)
_J1_QP = (
    0.05108625947501766, 4.982138729512334, 75.82382841325453, 366.7796093601508, 710.8563049989261,
    597.4896124006136, 211.68875710057213, 25.207020585802372
)
_J1_QQ = (
    74.23732770356752, 1056.4488603826283, 4986.410583376536, 9562.318924047562, 7997.041604473507,
    2826.1927851763908, 336.0936078106983
)
_J1_RP = (
    -899971225.7055594, 452228297998.19403, -72749424522181.83, 3682957328638529.0
)
_J1_RQ = (
    620.8364781180543, 256987.25675774884, 83514679.14319493, 22151159547.97925, 4749141220799.914,
    784369607876235.9, 8.952223361846274e+16, 5.322786203326801e+18
)
_Y0_YP = (
    15592.436785523574, -14663929.59039716, 5435264770.518765, -982136065717.9115, 87590639439536.7,
    -3466283033847297.0, 4.4273326857256984e+16, -1.8495080043698668e+16
)
_Y0_YQ = (
    1041.2835366425984, 626107.330137135, 268919633.39381415, 86400248710.3935, 20297961275010.555,
    3171577528429750.5, 2.5059625617265306e+17
)
_Y1_YP = (
    1263204747.9017804, -647355876379.1603, 114509511541823.73, -8127702555013251.0,
    2.024394757135949e+17, -7.788771962659501e+17
)
_Y1_YQ = (
    594.3015923461282, 235564.09294306856, 73481194.44597217, 18760131610.870617,
    3882312774962.3857, 620557727146953.8, 6.871410873553005e+16, 3.9727060811656064e+18
)
_I0_A = (
    -4.4153416464793395e-18, 3.3307945188222384e-17, -2.431279846547955e-16, 1.715391285555133e-15,
    -1.1685332877993451e-14, 7.676185498604936e-14, -4.856446783111929e-13, 2.95505266312964e-12,
    -1.726826291441556e-11, 9.675809035373237e-11, -5.189795601635263e-10, 2.6598237246823866e-09,
    -1.300025009986248e-08, 6.046995022541919e-08, -2.670793853940612e-07, 1.1173875391201037e-06,
    -4.4167383584587505e-06, 1.6448448070728896e-05, -5.754195010082104e-05, 0.00018850288509584165,
    -0.0005763755745385824, 0.0016394756169413357, -0.004324309995050576, 0.010546460394594998,
    -0.02373741480589947, 0.04930528423967071, -0.09490109704804764, 0.17162090152220877,
    -0.3046826723431984, 0.6767952744094761
)
_I0_B = (
    -7.233180487874754e-18, -4.830504485944182e-18, 4.46562142029676e-17, 3.461222867697461e-17,
    -2.8276239805165836e-16, -3.425485619677219e-16, 1.7725601330565263e-15, 3.8116806693526224e-15,
    -9.554846698828307e-15, -4.150569347287222e-14, 1.54008621752141e-14, 3.8527783827421426e-13,
    7.180124451383666e-13, -1.7941785315068062e-12, -1.3215811840447713e-11,
    -3.1499165279632416e-11, 1.1889147107846439e-11, 4.94060238822497e-10, 3.3962320257083865e-09,
    2.266668990498178e-08, 2.0489185894690638e-07, 2.8913705208347567e-06, 6.889758346916825e-05,
    0.0033691164782556943, 0.8044904110141088
)
_I1_A = (
    2.7779141127610464e-18, -2.111421214358166e-17, 1.5536319577362005e-16, -1.1055969477353862e-15,
    7.600684294735408e-15, -5.042185504727912e-14, 3.223793365945575e-13, -1.9839743977649436e-12,
    1.1736186298890901e-11, -6.663489723502027e-11, 3.625590281552117e-10, -1.8872497517228294e-09,
    9.381537386495773e-09, -4.445059128796328e-08, 2.0032947535521353e-07, -8.568720264695455e-07,
    3.4702513081376785e-06, -1.3273163656039436e-05, 4.781565107550054e-05, -0.00016176081582589674,
    0.0005122859561685758, -0.0015135724506312532, 0.004156422944312888, -0.010564084894626197,
    0.024726449030626516, -0.05294598120809499, 0.1026436586898471, -0.17641651835783406,
    0.25258718644363365
)
_I1_B = (
    7.517296310842105e-18, 4.414348323071708e-18, -4.6503053684893586e-17, -3.209525921993424e-17,
    2.96262899764595e-16, 3.3082023109209285e-16, -1.8803547755107825e-15, -3.8144030724370075e-15,
    1.0420276984128802e-14, 4.272440016711951e-14, -2.1015418427726643e-14, -4.0835511110921974e-13,
    -7.198551776245908e-13, 2.0356285441470896e-12, 1.4125807436613782e-11, 3.2526035830154884e-11,
    -1.8974958123505413e-11, -5.589743462196584e-10, -3.835380385964237e-09,
    -2.6314688468895196e-08, -2.512236237870209e-07, -3.882564808877691e-06,
    -0.00011058893876262371, -0.009761097491361469, 0.7785762350182801
)
_K0_A = (
    1.374465435613523e-16, 4.25981614279661e-14, 1.0349695257633842e-11, 1.904516377220209e-09,
    2.5347910790261494e-07, 2.286212103119452e-05, 0.001264615411446926, 0.0359799365153615,
    0.3442898999246285, -0.5353273932339028
)
_K0_B = (
    5.300433772686263e-18, -1.6475804301524212e-17, 5.2103915050390274e-17, -1.678231096805412e-16,
    5.512055978524319e-16, -1.848593377343779e-15, 6.3400764774050706e-15, -2.2275133269916698e-14,
    8.032890775363575e-14, -2.9800969231727303e-13, 1.140340588208475e-12, -4.514597883373944e-12,
    1.8559491149547177e-11, -7.957489244477107e-11, 3.577397281400301e-10, -1.69753450938906e-09,
    8.574034017414225e-09, -4.660489897687948e-08, 2.766813639445015e-07, -1.8317555227191195e-06,
    1.39498137188765e-05, -0.00012849549581627802, 0.0015698838857300533, -0.0314481013119645,
    2.4403030820659555
)
_K1_A = (
    -7.023863479386288e-18, -2.427449850519366e-15, -6.666901694199329e-13, -1.4114883926335278e-10,
    -2.213387630734726e-08, -2.4334061415659684e-06, -0.0001730288957513052, -0.006975723859639864,
    -0.12261118082265715, -0.3531559607765449, 1.5253002273389478
)
_K1_B = (
    -5.756744483665017e-18, 1.7940508731475592e-17, -5.689462558442859e-17, 1.838093544366639e-16,
    -6.057047248373319e-16, 2.038703165624334e-15, -7.019837090418314e-15, 2.4771544244813043e-14,
    -8.976705182324994e-14, 3.3484196660784293e-13, -1.2891739609510289e-12, 5.13963967348173e-12,
    -2.1299678384275683e-11, 9.218315187605006e-11, -4.1903547593418965e-10, 2.015049755197033e-09,
    -1.0345762465678097e-08, 5.7410841254500495e-08, -3.5019606030878126e-07, 2.406484947837217e-06,
    -1.936197974166083e-05, 0.00019521551847135162, -0.002857816859622779, 0.10392373657681724,
    2.7206261904844427
)
# fmt: on
_PI_4, _3PI_4 = 0.785398163397448309615660845819875721, 2.356194490192344928846982537459627163
_SQRT_2_PI = 0.797884560802865355879892119868763737  # √(2/π)
_2_PI = 0.636619772367581343075535053490057448  # 2/π


# --- J₀, J₁, Y₀, Y₁ -----------------------------------------------------------------------
def _far(x: np.ndarray, z: np.ndarray, shift: float, pq, qq, y: bool) -> np.ndarray:
    """Hankel's asymptotic form, x > 5: √(2/(πx)) (P cos(x − shift) − (5/x) Q sin(x − shift))
    for J (for Y: P sin + (5/x) Q cos), P and Q rational functions of z = (5/x)²."""
    p = horner(pq[0], z) / horner(pq[1], z)
    q = horner(qq[0], z) / horner(qq[1], z)
    phase = x - const(x, shift)
    cos, sin = libm(np.cos, phase), libm(np.sin, phase)
    five_q = const(x, 5.0) / x * q
    value = p * sin + five_q * cos if y else p * cos - five_q * sin
    return value * const(x, _SQRT_2_PI) / libm(np.sqrt, x)


_J0_FAR = ((_J0_PP, _J0_PQ), (_J0_QP, _J0_QQ))
_J1_FAR = ((_J1_PP, _J1_PQ), (_J1_QP, _J1_QQ))


def _j0(x: np.ndarray) -> np.ndarray:
    x = np.abs(x)
    xx = x * x
    tiny = const(x, 1.0) - xx / const(x, 4.0)
    zeros = (xx - const(x, 5.78318596294678452118)) * (xx - const(x, 3.04712623436620863991e01))
    near = zeros * horner(_J0_RP, xx) / horner(_J0_RQ, xx)
    far = _far(x, const(x, 25.0) / xx, _PI_4, *_J0_FAR, y=False)
    return np.where(x <= 5.0, np.where(x < 1e-5, tiny, near), far)


def _j1_positive(x: np.ndarray) -> np.ndarray:
    xx = x * x
    near = horner(_J1_RP, xx) / horner(_J1_RQ, xx) * x
    near = (
        near
        * (xx - const(x, 1.46819706421238932572e01))
        * (xx - const(x, 4.92184563216946036703e01))
    )
    z = const(x, 5.0) / x * (const(x, 5.0) / x)
    return np.where(x <= 5.0, near, _far(x, z, _3PI_4, *_J1_FAR, y=False))


def _j1(x: np.ndarray) -> np.ndarray:
    """J₁ is odd: −J₁(−x) for x < 0."""
    return np.where(x < 0, -_j1_positive(-x), _j1_positive(x))


def _y0(x: np.ndarray) -> np.ndarray:
    """−inf at 0, nan below."""
    xx = x * x
    near = horner(_Y0_YP, xx) / horner(_Y0_YQ, xx) + const(x, _2_PI) * libm(np.log, x) * _j0(x)
    near = np.where(x == 0, -np.inf, np.where(x < 0, np.nan, near))
    return np.where(x <= 5.0, near, _far(x, const(x, 25.0) / xx, _PI_4, *_J0_FAR, y=True))


def _y1(x: np.ndarray) -> np.ndarray:
    """−inf at 0, nan below."""
    xx = x * x
    log_part = _j1(x) * libm(np.log, x) - const(x, 1.0) / x
    near = x * (horner(_Y1_YP, xx) / horner(_Y1_YQ, xx)) + const(x, _2_PI) * log_part
    near = np.where(x == 0, -np.inf, np.where(x < 0, np.nan, near))
    z = const(x, 5.0) / x * (const(x, 5.0) / x)
    return np.where(x <= 5.0, near, _far(x, z, _3PI_4, *_J1_FAR, y=True))


# --- I₀, I₁, K₀, K₁ -----------------------------------------------------------------------
def _i0(x: np.ndarray) -> np.ndarray:
    """e^|x| times a Chebyshev series in |x|/2 − 2 (|x| <= 8) or in 32/|x| − 2 over √|x|."""
    ax = np.abs(x)
    growth = libm(np.exp, ax)
    near = growth * chebyshev(_I0_A, ax / const(x, 2.0) - const(x, 2.0))
    far = growth * chebyshev(_I0_B, const(x, 32.0) / ax - const(x, 2.0)) / libm(np.sqrt, ax)
    return np.where(ax <= 8.0, near, far)


def _i1(x: np.ndarray) -> np.ndarray:
    """I₁ is odd: the series at |x|, its sign x's."""
    ax = np.abs(x)
    growth = libm(np.exp, ax)
    near = chebyshev(_I1_A, ax / const(x, 2.0) - const(x, 2.0)) * ax * growth
    far = growth * chebyshev(_I1_B, const(x, 32.0) / ax - const(x, 2.0)) / libm(np.sqrt, ax)
    value = np.where(ax <= 8.0, near, far)
    return np.where(x < 0, -value, value)


def _k_near(x: np.ndarray, order: int) -> np.ndarray:
    """K₀ or K₁ for 0 < x <= 2: a Chebyshev series in x² − 2 and the log term log(x/2) Iᵥ."""
    z = x * x - const(x, 2.0)
    if order == 0:
        # torch writes log(0.5 * x) with a double 0.5: that term in float64 for float32 input
        log_term = np.log(0.5 * x.astype(np.float64)) * _i0(x).astype(np.float64)
        value = chebyshev(_K0_A, z).astype(np.float64) - log_term
        return value.astype(x.dtype, copy=False)
    return libm(np.log, const(x, 0.5) * x) * _i1(x) + chebyshev(_K1_A, z) / x


def _k_far(x: np.ndarray, order: int) -> np.ndarray:
    """e^x Kᵥ(x) √x for x > 2: a Chebyshev series in 8/x − 2."""
    return chebyshev(_K0_B if order == 0 else _K1_B, const(x, 8.0) / x - const(x, 2.0))


def _k(x: np.ndarray, order: int, scaled: bool) -> np.ndarray:
    """Kᵥ(x) (scaled: e^x Kᵥ(x)); inf at 0, nan below."""
    root = libm(np.sqrt, x)
    if scaled:
        z = x * x - const(x, 2.0)
        log_half = libm(np.log, const(x, 0.5) * x)
        if order == 0:
            near = chebyshev(_K0_A, z) - log_half * _i0(x)
        else:
            near = log_half * _i1(x) + chebyshev(_K1_A, z) / x
        near, far = near * libm(np.exp, x), _k_far(x, order) / root
    else:
        near, far = _k_near(x, order), libm(np.exp, -x) * _k_far(x, order) / root
    value = np.where(x <= 2.0, near, far)
    return np.where(x == 0, np.inf, np.where(x < 0, np.nan, value))


# --- j₀ = sin(x)/x ------------------------------------------------------------------------
_SINC_SERIES = (6.0, 120.0, 5040.0, 362880.0, 39916800.0, 6227020800.0)  # (2k + 1)!


def _spherical_j0(x: np.ndarray) -> np.ndarray:
    """sin(x)/x; its Taylor series for |x| < 1/2, 0 at ±inf."""
    xx = x * x
    series = np.zeros_like(x)
    for k, factorial in reversed(list(enumerate(_SINC_SERIES))):
        series = xx * (const(x, (-1.0) ** (k + 1)) / const(x, factorial) + series)
    series = const(x, 1.0) + series
    value = np.where(np.abs(x) < 0.5, series, libm(np.sin, x) / x)
    return np.where(np.isinf(x), const(x, 0.0), value)


# --- the ops ------------------------------------------------------------------------------
class _Kernel(Function):
    """kernel(x) in x's float dtype (integers and bools: the default float), no gradient."""

    @staticmethod
    def forward(ctx, x, kernel, name):
        if x.dtype.kind not in "biuf" or x.dtype.itemsize < 4 and x.dtype.kind == "f":
            raise NotImplementedError(
                f"{name}: not implemented for {x.dtype} (as in torch, which computes it for "
                "float32 and float64, integers as float32). Convert first, e.g. t.float()."
            )
        if x.dtype.kind != "f":
            x = x.astype(get_default_dtype().dtype)
        with np.errstate(all="ignore"):  # inf and nan where torch gives them, without warnings
            return np.asarray(kernel(x), dtype=x.dtype)


def _apply(kernel, input, name: str):
    """torch marks these non_differentiable: the result does not require grad."""
    if not isinstance(input, Tensor):
        raise TypeError(
            f"{name}(): argument 'input' must be Tensor, not {type(input).__name__} "
            "(as torch). Wrap it first: torch.tensor(x)."
        )
    with no_grad():
        return _Kernel.apply(input, kernel=kernel, name=name)


def bessel_j0(input):
    """The Bessel function of the first kind of order 0, J₀."""
    return _apply(_j0, input, "bessel_j0")


def bessel_j1(input):
    """The Bessel function of the first kind of order 1, J₁."""
    return _apply(_j1, input, "bessel_j1")


def bessel_y0(input):
    """The Bessel function of the second kind of order 0, Y₀ (nan for x < 0)."""
    return _apply(_y0, input, "bessel_y0")


def bessel_y1(input):
    """The Bessel function of the second kind of order 1, Y₁ (nan for x < 0)."""
    return _apply(_y1, input, "bessel_y1")


def modified_bessel_i0(input):
    """The modified Bessel function of the first kind of order 0, I₀."""
    return _apply(_i0, input, "modified_bessel_i0")


def modified_bessel_i1(input):
    """The modified Bessel function of the first kind of order 1, I₁."""
    return _apply(_i1, input, "modified_bessel_i1")


def modified_bessel_k0(input):
    """The modified Bessel function of the second kind of order 0, K₀ (nan for x < 0)."""
    return _apply(lambda x: _k(x, 0, False), input, "modified_bessel_k0")


def modified_bessel_k1(input):
    """The modified Bessel function of the second kind of order 1, K₁ (nan for x < 0)."""
    return _apply(lambda x: _k(x, 1, False), input, "modified_bessel_k1")


def scaled_modified_bessel_k0(input):
    """e^x K₀(x): K₀ without its underflow."""
    return _apply(lambda x: _k(x, 0, True), input, "scaled_modified_bessel_k0")


def scaled_modified_bessel_k1(input):
    """e^x K₁(x): K₁ without its underflow."""
    return _apply(lambda x: _k(x, 1, True), input, "scaled_modified_bessel_k1")


def spherical_bessel_j0(input):
    """The spherical Bessel function of the first kind of order 0, sin(x)/x."""
    return _apply(_spherical_j0, input, "spherical_bessel_j0")
