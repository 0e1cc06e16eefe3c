# Independent implementations (from the specifications) that produced the golden vectors
# pinned in sim/engine/rng.rs: python3 tests/reference/rng_golden.py
import struct
def rotl(v,c): return ((v<<c)&0xffffffff)|(v>>(32-c))
def qr(s,a,b,c,d):
    s[a]=(s[a]+s[b])&0xffffffff; s[d]=rotl(s[d]^s[a],16)
    s[c]=(s[c]+s[d])&0xffffffff; s[b]=rotl(s[b]^s[c],12)
    s[a]=(s[a]+s[b])&0xffffffff; s[d]=rotl(s[d]^s[a],8)
    s[c]=(s[c]+s[d])&0xffffffff; s[b]=rotl(s[b]^s[c],7)
def block(key,counter,nonce,rounds=8):
    st=[0x61707865,0x3320646e,0x79622d32,0x6b206574]+list(struct.unpack('<8I',key))+[counter&0xffffffff,counter>>32,nonce&0xffffffff,nonce>>32]
    w=st[:]
    for _ in range(rounds//2):
        qr(w,0,4,8,12);qr(w,1,5,9,13);qr(w,2,6,10,14);qr(w,3,7,11,15)
        qr(w,0,5,10,15);qr(w,1,6,11,12);qr(w,2,7,8,13);qr(w,3,4,9,14)
    return [(a+b)&0xffffffff for a,b in zip(w,st)]
def draw(seed,entity,purpose,index):
    key=struct.pack('<Q',seed)+bytes(24)
    stream=(entity & 0x00ffffffffffffff)|(purpose<<56)
    wordpos=index*2
    b=block(key,wordpos//16,stream)
    lo=b[wordpos%16]; hi=b[wordpos%16+1]
    return (hi<<32)|lo
print("chacha8 stream 42/1/Connectivity word 10:", draw(42, 1, 3, 5))
M0, M1, W0, W1 = 0xD2511F53, 0xCD9E8D57, 0x9E3779B9, 0xBB67AE85
MASK = 0xffffffff
def philox(ctr, key, rounds=10):
    c = list(ctr); k = list(key)
    for i in range(rounds):
        if i:
            k = [(k[0] + W0) & MASK, (k[1] + W1) & MASK]
        p0 = M0 * c[0]; p1 = M1 * c[2]
        c = [(p1 >> 32) ^ c[1] ^ k[0], p1 & MASK, (p0 >> 32) ^ c[3] ^ k[1], p0 & MASK]
    return c
assert philox([0,0,0,0],[0,0]) == [0x6627e8d5,0xe169c58d,0xbc57ac4c,0x9b00dbd8]
assert philox([MASK]*4,[MASK]*2) == [0x408f276d,0x41c83b0e,0xa20bc7c6,0x6d5451fd]
assert philox([0x243f6a88,0x85a308d3,0x13198a2e,0x03707344],[0xa4093822,0x299f31d0]) == [0xd16cfe09,0x94fdcceb,0x5001e420,0x24126ea1]
def philox_draw(seed, entity, purpose, index):
    stream = (entity & 0x00ffffffffffffff) | (purpose << 56)
    block = index >> 1
    out = philox([block & MASK, block >> 32, stream & MASK, stream >> 32], [seed & MASK, seed >> 32])
    half = index & 1
    return out[2*half] | (out[2*half+1] << 32)
print("philox draws:", philox_draw(42, 0, 4, 0), philox_draw(42, 1, 4, 0), philox_draw(42, 1, 3, 5))
