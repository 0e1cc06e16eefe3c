# Independent ChaCha8 (from the specification) that produced the golden vectors pinned in
# sim/engine/rng.rs: python3 tests/reference/chacha8_golden.py
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
print(draw(42,0,4,0), draw(42,1,4,0), draw(42,1,3,5))
