"""Stand-in for einops (not installed for /usr/bin/python3): `rearrange` for the patterns the official code uses
here (pure axis permutations such as 'b c h w -> b h w c', and WaveDiff's grouped patch patterns), written as
reshape -> permute -> reshape. `repeat` is only imported (by LDM's attention module) and never called here."""
import re


def _parse(side):
    groups = []
    for token in re.findall(r'\([^)]*\)|\S+', side):
        groups.append(token[1:-1].split() if token.startswith('(') else [token])
    return groups


def rearrange(x, pattern, **sizes):
    left, right = (s.strip() for s in pattern.split('->'))
    lgroups, rgroups = _parse(left), _parse(right)
    assert len(lgroups) == x.dim(), f'{pattern}: tensor has {x.dim()} axes'
    known = dict(sizes)
    for group, extent in zip(lgroups, x.shape):
        unknown = [a for a in group if a not in known]
        product = 1
        for a in group:
            product *= known.get(a, 1)
        assert len(unknown) <= 1, f'{pattern}: cannot infer {unknown}'
        if unknown:
            known[unknown[0]] = extent // product
    elementary = [a for g in lgroups for a in g]
    order = [a for g in rgroups for a in g]
    assert sorted(elementary) == sorted(order), pattern
    y = x.reshape([known[a] for a in elementary]).permute([elementary.index(a) for a in order])
    shape = []
    for g in rgroups:
        n = 1
        for a in g:
            n *= known[a]
        shape.append(n)
    return y.reshape(shape)


def repeat(*args, **kwargs):
    raise NotImplementedError('einops.repeat is not needed by the fixture script')
