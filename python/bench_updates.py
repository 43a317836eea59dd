"""row.update() in a where loop: 76,056 of a 2M-row blosc table's rows updated, PyTables vs
outcore (without and with chunk statistics), and the files compared afterwards.

    .venv-peers/bin/python python/bench_updates.py      (after scripts/python-dev --release)
"""
import time, numpy as np, tables, outcore, shutil, sys
N=2_000_000
p='/tmp/upd.h5'
if True:
    with tables.open_file(p,'w') as f:
        t=f.create_table('/','t',{'a':tables.Int32Col(pos=0),'x':tables.Float64Col(pos=1),'y':tables.Float64Col(pos=2)},filters=tables.Filters(5,'blosc'),expectedrows=N)
        rng=np.random.default_rng(0); r=np.zeros(N,dtype=t.dtype); r['a']=rng.integers(0,1000,N); r['x']=rng.random(N); t.append(r)
shutil.copy(p,'/tmp/upd2.h5'); shutil.copy(p,'/tmp/upd3.h5')
with tables.open_file('/tmp/upd.h5','a') as f:
    t0=time.perf_counter(); n=0
    for r in f.root.t.where('a < 38'):
        r['y']=1.0; r.update(); n+=1
    f.flush(); print('pytables', n, time.perf_counter()-t0)
with outcore.open_file('/tmp/upd2.h5','a') as f:
    t0=time.perf_counter(); n=0
    for r in f.root.t.where('a < 38'):
        r['y']=1.0; r.update(); n+=1
    f.flush(); print('outcore', n, time.perf_counter()-t0)
with outcore.open_file('/tmp/upd3.h5','a') as f:
    f.root.t.index_stats()
    t0=time.perf_counter(); n=0
    for r in f.root.t.where('a < 38'):
        r['y']=1.0; r.update(); n+=1
    f.flush(); print('outcore+stats', n, time.perf_counter()-t0)
with tables.open_file('/tmp/upd2.h5') as f, tables.open_file('/tmp/upd.h5') as g:
    assert (f.root.t.read()==g.root.t.read()).all()
