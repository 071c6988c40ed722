# Minimal stand-in for PyWavelets: the Haar filter banks that DWT_IDWT_layer reads, with pywt's values and signs.
import math


class Wavelet:
    def __init__(self, name):
        assert name == 'haar', name
        s = 1 / math.sqrt(2)
        self.dec_lo = [s, s]
        self.dec_hi = [-s, s]
        self.rec_lo = [s, s]
        self.rec_hi = [s, -s]
