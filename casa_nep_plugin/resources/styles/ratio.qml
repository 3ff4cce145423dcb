<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
<qgis version="3.22.0" styleCategories="Symbology">
  <pipe>
    <!-- RH/NPP, percent -->
    <rasterrenderer type="singlebandpseudocolor" band="1" opacity="1" alphaBand="-1" nodataColor="" classificationMin="0" classificationMax="150">
      <rasterTransparency/>
      <minMaxOrigin><limits>None</limits><extent>WholeRaster</extent><statAccuracy>Estimated</statAccuracy><cumulativeCutLower>0.02</cumulativeCutLower><cumulativeCutUpper>0.98</cumulativeCutUpper><stdDevFactor>2</stdDevFactor></minMaxOrigin>
      <rastershader>
        <colorrampshader colorRampType="INTERPOLATED" classificationMode="1" clip="0" minimumValue="0" maximumValue="150" labelPrecision="0">
          <item alpha="255" value="0" label="0 %" color="#1a9850"/>
          <item alpha="255" value="50" label="50 %" color="#a6d96a"/>
          <item alpha="255" value="80" label="80 % warning" color="#fee08b"/>
          <item alpha="255" value="100" label="100 % source" color="#f46d43"/>
          <item alpha="255" value="150" label="150 %" color="#a50026"/>
        </colorrampshader>
      </rastershader>
    </rasterrenderer>
  </pipe>
  <blendMode>0</blendMode>
</qgis>
